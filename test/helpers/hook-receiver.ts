import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP receiver for webhook tests (a Node http server on loopback) that records every request
 * it gets and answers as the test decides: a status, a delay, or no answer at all.
 */
export interface HookRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
  status: number;
}
export type Answer = { status: number; delayMs?: number; location?: string };

export interface HookReceiver {
  url: string;
  port: number;
  received: HookRequest[];
  /** Requests answered 2xx (what the endpoint's system has accepted). */
  accepted(): HookRequest[];
  answer: (req: HookRequest, n: number) => Answer;
  close(): Promise<void>;
  listen(): Promise<void>;
}

export async function hookReceiver(port = 0): Promise<HookReceiver> {
  let server: http.Server | undefined;
  const r: HookReceiver = {
    url: '',
    port,
    received: [],
    accepted: () => r.received.filter((x) => x.status >= 200 && x.status < 300),
    answer: () => ({ status: 204 }),
    async listen() {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const entry: HookRequest = {
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            at: Date.now(),
            status: 0,
          };
          const a = r.answer(entry, r.received.length);
          const send = () => {
            entry.status = a.status;
            r.received.push(entry);
            res.writeHead(a.status, a.location ? { location: a.location } : {});
            res.end(a.status >= 400 ? 'receiver says no' : '');
          };
          if (a.delayMs) setTimeout(send, a.delayMs);
          else send();
        });
      });
      await new Promise<void>((resolve) => server?.listen(r.port, '127.0.0.1', resolve));
      r.port = (server.address() as AddressInfo).port;
      r.url = `http://127.0.0.1:${r.port}/hooks`;
    },
    async close() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await r.listen();
  return r;
}
