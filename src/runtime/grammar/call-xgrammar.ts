import { UsageError } from '../../errors.js';

/**
 * Runs an xgrammar call that may reject its input. The WASM build writes why to stderr (through a
 * console.error it bound when it loaded: `[FATAL] file.cc:902: Unsupported type "strin"`) and then
 * throws a bare "Aborted()": the line is kept off the terminal and becomes a UsageError naming
 * what `what` was wrong with.
 */
export async function callXgrammar<T>(what: string, call: () => Promise<T>): Promise<T> {
  const printed: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = String(chunk);
    // Anything else written meanwhile (another request's log line) goes through.
    if (!/\[FATAL\]|^Aborted\(/.test(text)) return write.call(process.stderr, chunk, ...rest);
    printed.push(text);
    return true;
  }) as typeof process.stderr.write;
  try {
    return await call();
  } catch (cause) {
    throw new UsageError(`${what}: ${reasonOf(printed, cause)}.`, { code: 'invalid-schema', cause });
  } finally {
    process.stderr.write = write;
  }
}

function reasonOf(printed: string[], cause: unknown): string {
  const fatal = printed.find((line) => line.includes('[FATAL]'));
  // A C++ exception reaches JavaScript as a bare pointer (a number): nothing to quote.
  if (!fatal) return cause instanceof Error ? cause.message : 'xgrammar rejected it';
  // "[FATAL] path/file.cc:961: Check failed: (...) is false: Cannot find field nope in {...}"
  const detail = fatal.replace(/^.*?\[FATAL\]\s*\S+:\d+:\s*/, '').replace(/^Check failed: \(.*?\) is false: /, '');
  return detail.trim().replace(/\.$/, '');
}
