import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type * as Xgrammar from '@mlc-ai/web-xgrammar';

export type XgrammarModule = typeof Xgrammar;

let loading: Promise<XgrammarModule> | undefined;

/**
 * Loads @mlc-ai/web-xgrammar once per thread. Its build is a UMD bundle (WASM inside) in a package
 * marked `"type": "module"`, so Node treats it as ESM, where its `require` calls fail; it is
 * compiled here as the CommonJS module it really is.
 */
export function loadXgrammar(): Promise<XgrammarModule> {
  loading ??= Promise.resolve().then(() => {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@mlc-ai/web-xgrammar');
    const bundle = new Module(file) as Module & { _compile(code: string, filename: string): void };
    bundle.filename = file;
    bundle.paths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths(file);
    bundle._compile(readFileSync(file, 'utf8'), file);
    return bundle.exports as XgrammarModule;
  });
  return loading;
}
