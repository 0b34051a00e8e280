import http from 'node:http';
import { postJson } from '../http-post';

export type Post = (
  port: number,
  path: string,
  token: string,
  body?: unknown,
) => Promise<{ status: number; body: string }>;

/**
 * A bearer-token JSON POST to the app's `/api/v1`, over keep-alive sockets (at most `maxSockets`).
 * Idle sockets are dropped before the app's keep-alive timeout (5 s) closes them under a request.
 * Shared by the webhook and alert benchmarks' load drivers.
 */
export function apiPoster(maxSockets: number): Post {
  const agent = new http.Agent({ keepAlive: true, maxSockets, timeout: 4000 });
  return (port, path, token, body) =>
    postJson(agent, port, `/api/v1${path}`, { authorization: `Bearer ${token}` }, body);
}
