import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { physicalCores } from '../src/runtime/physical-cores.js';

/** The machine and software a run measured on. */
export interface MachineInfo {
  cpu: string;
  physicalCores: number;
  logicalCores: number;
  memoryBytes: number;
  os: string;
  node: string;
  onnxruntime: string;
  transformersJs: string;
  nodeLlamaCpp: string;
  /** 1-minute load average when the run started: other work on the machine skews every number. */
  loadAverage: number;
}

/** Describes this machine and the versions of the runtimes under test. */
export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    physicalCores: physicalCores(),
    logicalCores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntime: packageVersion('onnxruntime-node'),
    transformersJs: packageVersion('@huggingface/transformers'),
    nodeLlamaCpp: packageVersion('node-llama-cpp'),
    loadAverage: os.loadavg()[0],
  };
}

// Read from node_modules directly: some packages' exports do not expose their package.json.
function packageVersion(name: string): string {
  try {
    const file = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
    const json = JSON.parse(readFileSync(file, 'utf8')) as { version?: string };
    return json.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}
