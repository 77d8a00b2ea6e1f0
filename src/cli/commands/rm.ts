import type { Command } from 'commander';

/** Registers `owm rm`. */
export function registerRm(program: Command): void {
  program.command('rm').description('(not yet implemented)');
}
