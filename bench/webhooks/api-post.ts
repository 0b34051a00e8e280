import http from 'node:http';

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
  return (port, path, token, body) => {
    const data = body === undefined ? '' : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: `/api/v1${path}`,
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(data),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  };
}
