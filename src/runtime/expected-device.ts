import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// Kept apart from create-session.ts so that the main thread can ask without loading onnxruntime.

/** Where the user asked to run: `auto` tries CUDA where a GPU is present, else the CPU. */
export type DeviceRequest = 'auto' | 'cpu' | 'cuda';

/** The device a model will most likely run on, to choose which variant to pull before loading. */
export function expectedDevice(request: DeviceRequest): 'cpu' | 'cuda' {
  if (request === 'auto') return hasNvidiaGpu() && cudaProviderInstalled() ? 'cuda' : 'cpu';
  return request;
}

/** True when this machine shows an NVIDIA driver (so `auto` should try CUDA). */
export function hasNvidiaGpu(): boolean {
  return existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
}

/** True when onnxruntime-node's CUDA provider library was installed next to its binding. */
export function cudaProviderInstalled(): boolean {
  const require = createRequire(import.meta.url);
  const binDir = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(path.join(binDir, 'libonnxruntime_providers_cuda.so'));
}
