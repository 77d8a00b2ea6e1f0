import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { REBLOCK_SIZES, type ReblockSize } from '../runtime/optimize/optimizer-cache-entry.js';

/** The load-time optimizer's flags, parsed. */
export interface OptimizeFlags {
  /** Only output-preserving graph rewrites. */
  exact?: boolean;
  /** False with `--no-optimize`: load the graph as it is. */
  optimize?: boolean;
  /** Re-quantize 4-bit weights into blocks of this many. */
  reblock?: ReblockSize;
}

/** Adds `--exact`, `--no-optimize` and `--reblock` to a command that loads a model. */
export function addOptimizeOptions(command: Command): Command {
  return command
    .option('--exact', 'only graph rewrites that keep the outputs (no int8 activations in 4-bit matmuls)')
    .option('--no-optimize', 'load the ONNX graph as it is, without the fused rewrite')
    .addOption(
      new Option('--reblock <size>', `re-quantize 4-bit weights into blocks of ${REBLOCK_SIZES.join(' or ')}: faster on CPUs, further from the published weights`)
        .argParser(reblockFlag)
        .conflicts(['exact', 'optimize']),
    );
}

function reblockFlag(raw: string): ReblockSize {
  const size = REBLOCK_SIZES.find((candidate) => String(candidate) === raw.trim());
  if (size === undefined) throw new UsageError(`--reblock must be ${REBLOCK_SIZES.join(' or ')}, got ${raw}.`);
  return size;
}
