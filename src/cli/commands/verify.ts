import type { Command } from 'commander';

/** Registers `owm verify`. */
export function registerVerify(program: Command): void {
  program.command('verify').description('(not yet implemented)');
}
