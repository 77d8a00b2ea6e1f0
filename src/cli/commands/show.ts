import type { Command } from 'commander';

/** Registers `owm show`. */
export function registerShow(program: Command): void {
  program.command('show').description('(not yet implemented)');
}
