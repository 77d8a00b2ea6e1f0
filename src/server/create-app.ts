import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { allowedOrigin } from './allowed-origins.js';
import { ApiError, toApiError } from './api-error.js';
import { embeddingRoutes } from './embedding-routes.js';
import { ollamaRoutes } from './ollama-routes.js';
import { openaiRoutes } from './openai-routes.js';
import { requireApiKey } from './require-api-key.js';
import type { ServeContext } from './serve-context.js';

/** Largest request body accepted: far above any context owm runs, far below what could hurt the server. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** How the app is guarded and what it tells its log. */
export interface AppOptions {
  apiKey?: string;
  /** Origins allowed to call from a browser; empty for this machine's own pages. */
  corsOrigins: string[];
  /** A line per request and per unexpected error (never a key or a token). */
  log: (line: string) => void;
  /** False while the models given at start are still loading: `/health` answers 503 until then. */
  ready: () => boolean;
}

/** The HTTP app: health, embeddings, the OpenAI routes under `/v1`, Ollama's under `/api`, one error shape per API. */
export function createApp(context: ServeContext, options: AppOptions): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    options.log(`${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - started).toFixed(0)}ms`);
  });
  app.use(cors({ origin: allowedOrigin(options.corsOrigins), allowHeaders: ['Authorization', 'Content-Type'], maxAge: 600 }));
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => errorResponse(c, new ApiError(413, `The request body is over ${MAX_BODY_BYTES / 1024 / 1024} MiB: send less.`, { code: 'body_too_large' })),
    }),
  );
  if (options.apiKey) app.use(requireApiKey(options.apiKey));

  app.get('/health', (c) => (options.ready() ? c.json({ status: 'ok' }) : c.json({ status: 'loading' }, 503)));
  app.route('/', embeddingRoutes(context));
  app.route('/v1', openaiRoutes(context));
  app.route('/', ollamaRoutes(context));

  app.notFound((c) => errorResponse(c, new ApiError(404, `No route ${c.req.method} ${c.req.path}: see the README's Serve section.`, { code: 'not_found' })));
  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.status === 500) options.log(`error: ${c.req.method} ${c.req.path}: ${error instanceof Error ? error.message : String(error)}`);
    return errorResponse(c, apiError);
  });
  return app;
}

/** An error in the shape of the API the path belongs to: OpenAI's object under `/v1`, Ollama's string elsewhere. */
function errorResponse(c: Context, error: ApiError): Response {
  if (c.req.path.startsWith('/v1/')) {
    const type = error.status === 401 ? 'authentication_error' : error.status >= 500 ? 'server_error' : 'invalid_request_error';
    return c.json({ error: { message: error.message, type, param: error.param ?? null, code: error.code ?? null } }, error.status);
  }
  return c.json({ error: error.message }, error.status);
}
