import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * The bank's systems: Node http receivers on loopback. Each verifies every request's signature with the
 * standardwebhooks package (an independent verifier: wrong secret, altered body or stale timestamp
 * refused) and records, per webhook-id, the first arrival and how many times it came.
 */
export interface Arrival {
  type: string;
  visitId: string;
  /** The change's time, as the payload states it (data.changedAt: the history entry's time). */
  changedAt: number;
  receivedAt: number;
  /** Times this webhook-id arrived (more than 1: a redelivery). */
  times: number;
}

export interface Receiver {
  name: string;
  url: string;
  secret: string;
  arrivals: Map<string, Arrival>;
  /** Visit id → webhook-ids in the order they first arrived (to check the order per visit). */
  perVisit: Map<string, string[]>;
  requests: number;
  badSignatures: number;
  close(): Promise<void>;
}

export async function startReceiver(name: string): Promise<Receiver> {
  const r: Receiver = {
    name,
    url: '',
    secret: '',
    arrivals: new Map(),
    perVisit: new Map(),
    requests: 0,
    badSignatures: 0,
    close: async () => undefined,
  };
  let verifier: Webhook | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const receivedAt = Date.now();
      r.requests += 1;
      const id = String(req.headers['webhook-id']);
      let body: { type: string; data: { visitId?: string; changedAt?: string } };
      try {
        verifier ??= new Webhook(r.secret);
        body = verifier.verify(Buffer.concat(chunks).toString('utf8'), {
          'webhook-id': id,
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        }) as typeof body;
      } catch {
        r.badSignatures += 1;
        res.writeHead(400).end();
        return;
      }
      const seen = r.arrivals.get(id);
      if (seen) seen.times += 1;
      else {
        const visitId = body.data.visitId ?? '';
        r.arrivals.set(id, {
          type: body.type,
          visitId,
          changedAt: Date.parse(body.data.changedAt ?? ''),
          receivedAt,
          times: 1,
        });
        const list = r.perVisit.get(visitId) ?? [];
        list.push(id);
        r.perVisit.set(visitId, list);
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${name}`;
  r.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}
