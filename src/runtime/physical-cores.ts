import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * Physical CPU cores (hyper-threads share one core's arithmetic units, so more threads than
 * cores slow matrix kernels down); falls back to the logical count where /proc/cpuinfo is absent.
 */
export function physicalCores(): number {
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const cores = new Set<string>();
    let physicalId = '0';
    for (const line of cpuinfo.split('\n')) {
      const [key, value] = line.split(':').map((part) => part?.trim());
      if (key === 'physical id') physicalId = value ?? '0';
      if (key === 'core id') cores.add(`${physicalId}:${value}`);
    }
    if (cores.size > 0) return cores.size;
  } catch {
    // Not Linux: use the logical count.
  }
  return Math.max(1, os.availableParallelism());
}
