import pino from 'pino';
import { config } from './config';

/**
 * Logs are read by more people than the app's users (operators, log shippers, support), so nothing
 * that signs someone in may reach them: request credentials (Authorization, Cookie, the CSRF header),
 * the session cookie the app sets (Set-Cookie of the response), and secrets that travel in a URL's
 * query (the CSRF token of multipart forms, sign-in links' tokens, an OpenID Connect callback's code
 * and state).
 */
export const logger = pino({
  level: config().LOG_LEVEL,
  redact: {
    paths: [
      'req.headers.authorization',
      'req.headers.cookie',
      'req.headers["x-csrf-token"]',
      'res.headers["set-cookie"]',
      'password',
      '*.password',
    ],
    censor: '[redacted]',
  },
  base: { app: 'mystery-shopper' },
});

/** Query parameters whose values are secrets. */
const SECRET_QUERY_PARAMS = new Set(['_csrf', 'token', 'code', 'state', 'id_token', 'access_token', 'session_state']);

/** The URL as it may be logged: every secret query value replaced. */
export function loggableUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of new Set(params.keys())) {
    if (!SECRET_QUERY_PARAMS.has(key.toLowerCase())) continue;
    params.set(key, '[redacted]');
    changed = true;
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** pino-http's request serializer, on top of its standard one: the URL and the parsed query without secrets. */
export function loggableRequest<T extends { url?: string; query?: unknown }>(req: T): T {
  if (!req.query || typeof req.query !== 'object') return { ...req, url: loggableUrl(req.url) };
  const query: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
  for (const key of Object.keys(query)) if (SECRET_QUERY_PARAMS.has(key.toLowerCase())) query[key] = '[redacted]';
  return { ...req, url: loggableUrl(req.url), query };
}
