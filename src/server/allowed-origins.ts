/** Origins browsers may call the server from when `--cors-origin` is not given: pages served from this machine and desktop app shells, as Ollama allows. */
const DEFAULT_ORIGINS = [
  /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0)(:\d+)?$/,
  /^(app|file|tauri|vscode-webview):\/\/.*$/,
];

/**
 * Decides which `Origin` a CORS response may name: the defaults, or exactly the origins given
 * (`*` allows any; `https://*.example.com` any subdomain).
 */
export function allowedOrigin(configured: readonly string[]): (origin: string) => string | null {
  const patterns = configured.length === 0 ? DEFAULT_ORIGINS : configured.map(originPattern);
  return (origin) => (origin && patterns.some((pattern) => pattern.test(origin)) ? origin : null);
}

function originPattern(origin: string): RegExp {
  if (origin === '*') return /^.*$/;
  const escaped = origin.replace(/\/+$/, '').replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/.]+');
  return new RegExp(`^${escaped}$`);
}
