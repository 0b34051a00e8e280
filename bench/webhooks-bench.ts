import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

/**
 * Webhook delivery benchmark (issue 19). On a fresh embedded FerretDB in a temp folder, with the app's
 * own workers in this process: BENCH_EVENTS (10,000) events, each for 3 endpoints on loopback (Node
 * http receivers that verify every signature), published into the outbox at BENCH_RATE events/s, while
 * auditors submit visits through the app's HTTP API and a reviewer approves every second one (each
 * approval is a real change: noted, followed, its visit.approved event derived and delivered).
 * Reported: delivery throughput, latency from the change to the receiver (p50/p95/max) for the
 * published events and, separately, from each approval's answer to the arrival of its event; lost
 * deliveries (expected − distinct received). The section "Webhooks" of BENCHMARKS.md is rewritten.
 *
 *   npm run bench:webhooks
 *   BENCH_EVENTS=2000 BENCH_RATE=100 npm run bench:webhooks
 *   BENCH_WRITE=0 npm run bench:webhooks     # print only
 */
process.env.BENCH_CLIENTS ??= '4';
process.env.BENCH_ASSIGNMENTS ??= '150';
const ROOT = path.resolve(__dirname, '..');
const num = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const EVENTS = num('BENCH_EVENTS', 10_000);
const RATE = num('BENCH_RATE', 50);
const SUBMIT_RATE = num('BENCH_SUBMIT_RATE', 5);
const ENDPOINTS = 3;
const WRITE_FILE = process.env.BENCH_WRITE !== '0';
const HEADING = '## Webhooks: deliveries to 3 endpoints on loopback';
const log = (m: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

interface Receiver {
  url: string;
  arrivals: Map<string, number>;
  requests: number;
  badSignatures: number;
  close(): Promise<void>;
}

async function receiver(secret: () => string): Promise<Receiver> {
  const r: Receiver = { url: '', arrivals: new Map(), requests: 0, badSignatures: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests += 1;
      const id = String(req.headers['webhook-id']);
      try {
        new Webhook(secret()).verify(Buffer.concat(chunks).toString('utf8'), {
          'webhook-id': id,
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        });
      } catch {
        r.badSignatures += 1;
      }
      if (!r.arrivals.has(id)) r.arrivals.set(id, Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  r.close = () => new Promise((resolve) => server.close(() => resolve()));
  return r;
}

async function main(): Promise<void> {
  const { freePort, startEmbeddedDb } = await import('../server/platform/db/embedded');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-bench-webhooks-'));
  const dbPort = await freePort();
  const binary = process.env.FERRETDB_BIN ?? path.join(ROOT, '.tools', 'bin', 'ferretdb');
  const db = await startEmbeddedDb({ binary, dataDir, port: dbPort, dbName: 'bench' });
  const uri = `mongodb://127.0.0.1:${dbPort}/`;
  const { prepareApp } = await import('./visits/setup');
  const { answerSet, visitBody } = await import('./visits/settings');
  const world = await prepareApp(uri, 'bench_webhooks');
  const { config, setConfig } = await import('../server/platform/config');
  setConfig({ ...config(), LOG_LEVEL: 'silent' });
  const { startServices, stopServices } = await import('../server/bootstrap');
  await startServices();
  const { createApp } = await import('../server/app');
  const { startAppWorkers } = await import('../server/jobs');
  const { createEndpoint } = await import('../server/webhooks/service');
  const { publishEvent } = await import('../server/webhooks/publish');
  const { reviewVisit } = await import('../server/visits/service');
  const admin = {
    id: new (await import('mongoose')).Types.ObjectId().toHexString(),
    email: 'a@b',
    name: 'a',
    role: 'admin' as const,
  };
  const reviewer = { ...admin, role: 'reviewer' as const };

  const secrets: string[] = [];
  const receivers: Receiver[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const r = await receiver(() => secrets[i]);
    const e = await createEndpoint(admin, {
      url: r.url,
      bankId: world.bankId,
      events: ['visit.approved', 'alert.violation', 'report.published'],
    });
    secrets.push(e.secret);
    receivers.push(r);
  }
  const server = createApp().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const appPort = (server.address() as AddressInfo).port;
  const workers = startAppWorkers({ pollMs: 200, jobs: false, mail: false });
  const answers = await answerSet();
  log(`FerretDB on ${dbPort}; ${EVENTS} events × ${ENDPOINTS} endpoints at ${RATE}/s; submissions at ${SUBMIT_RATE}/s`);

  // ---- the auditors' submissions and the reviewer's approvals, all the while
  let stopLoad = false;
  let submitted = 0;
  const approvals = new Map<string, number>(); // event id → time the approval was answered
  const loadRun = (async () => {
    let n = 0;
    const queue = world.clients.flatMap((c) => c.assignments.map((a) => ({ c, a })));
    while (!stopLoad && n < queue.length) {
      const t0 = Date.now();
      const { c, a } = queue[n++];
      const headers = { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' };
      const base = `http://127.0.0.1:${appPort}/api/v1`;
      const made = await fetch(`${base}/visits`, {
        method: 'POST',
        headers,
        body: JSON.stringify(visitBody(a, answers)),
      });
      const v = (await made.json()) as { id: string; history: unknown[] };
      await fetch(`${base}/visits/${v.id}/submit`, { method: 'POST', headers });
      submitted += 1;
      if (n % 2 === 0) {
        const approved = await reviewVisit(reviewer, v.id, { decision: 'approve' });
        approvals.set(`evt_${v.id}_${approved.history.length - 1}`, Date.now());
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 / SUBMIT_RATE - (Date.now() - t0))));
    }
  })();

  // ---- the published events, paced
  const published = new Map<string, number>();
  const publishMs: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  for (let i = 0; i < EVENTS; i++) {
    const due = started + (i * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const id = `evt_bench_${i}`;
    const at = new Date();
    published.set(id, at.getTime());
    const t0 = Date.now();
    const run = publishEvent({
      id,
      type: 'report.published',
      bankId: world.bankId,
      orderKey: `bench:${i % 50}`,
      position: i,
      at,
      data: {
        reportId: crypto.randomUUID(),
        bank: { id: world.bankId, code: 'BNK', name: '基准银行' },
        quarter: '2026-Q4',
        version: i + 1,
        publishedAt: at.toISOString(),
        files: [{ scope: 'bank', url: 'http://127.0.0.1/x' }],
      },
    }).then(() => {
      publishMs.push(Date.now() - t0);
      inFlight.delete(run);
    });
    inFlight.add(run);
    // Changes happen concurrently in the app (many requests at once); a bound keeps the pace honest.
    if (inFlight.size >= 32) await Promise.race(inFlight);
    if (i % 1000 === 999) log(`${i + 1} published; ${receivers.reduce((s, r) => s + r.arrivals.size, 0)} delivered`);
  }
  await Promise.all(inFlight);
  const publishedS = (Date.now() - started) / 1000;
  stopLoad = true;
  await loadRun;
  const expected = (ids: Iterable<string>) => [...ids].length * ENDPOINTS;
  const arrived = (ids: Iterable<string>) =>
    [...ids].reduce((s, id) => s + receivers.filter((r) => r.arrivals.has(id)).length, 0);
  const deadline = Date.now() + num('BENCH_DRAIN_S', 1800) * 1000;
  while (
    Date.now() < deadline &&
    arrived([...published.keys(), ...approvals.keys()]) < expected([...published.keys(), ...approvals.keys()])
  )
    await new Promise((r) => setTimeout(r, 250));
  const doneS = (Date.now() - started) / 1000;
  const latencies = (sent: Map<string, number>) =>
    [...sent].flatMap(([id, t]) =>
      receivers
        .map((r) => r.arrivals.get(id))
        .filter((x): x is number => x !== undefined)
        .map((x) => x - t),
    );
  const pub = latencies(published);
  const appr = latencies(approvals);
  const fig = {
    events: EVENTS,
    deliveries: expected(published.keys()),
    lost: expected(published.keys()) - arrived(published.keys()),
    throughput: Math.round(arrived(published.keys()) / doneS),
    p50: pct(pub, 50),
    p95: pct(pub, 95),
    max: pct(pub, 100),
    approvals: approvals.size,
    approvalsLost: expected(approvals.keys()) - arrived(approvals.keys()),
    ap50: pct(appr, 50),
    ap95: pct(appr, 95),
    amax: pct(appr, 100),
    submitted,
    publishP50: pct(publishMs, 50),
    requests: receivers.reduce((s, r) => s + r.requests, 0),
    badSignatures: receivers.reduce((s, r) => s + r.badSignatures, 0),
    publishedS,
    doneS,
  };
  log(JSON.stringify(fig));
  await workers.stop();
  server.close();
  await Promise.all(receivers.map((r) => r.close()));
  await stopServices();
  await db.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (WRITE_FILE) writeSection(fig);
}

function writeSection(f: Record<string, number>): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const text = `${HEADING}

\`npm run bench:webhooks\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, Node ${process.version}, embedded FerretDB 1.24 (SQLite), load average at the end ${os.loadavg()[0].toFixed(2)}.
${f.events.toLocaleString('en')} events published into the outbox at ${RATE}/s, each to ${ENDPOINTS} endpoints (Node http receivers on loopback that verify every signature with the standardwebhooks package), while auditors submitted visits through the HTTP API at ${SUBMIT_RATE}/s and a reviewer approved every second one.

| | figure |
|---|---|
| deliveries expected / lost | ${f.deliveries.toLocaleString('en')} / ${f.lost} |
| delivery throughput (all deliveries ÷ time until the last arrived) | ${f.throughput} /s |
| change → delivery, published events: p50 / p95 / max | ${f.p50} / ${f.p95} / ${f.max} ms |
| approvals during the run (real changes: note → follower → outbox → send) | ${f.approvals}, lost ${f.approvalsLost} |
| approval answered → visit.approved at the receiver: p50 / p95 / max | ${f.ap50} / ${f.ap95} / ${f.amax} ms |
| visits submitted meanwhile | ${f.submitted} |
| one event into the outbox (event + its deliveries): p50 | ${f.publishP50} ms |
| requests received (retries and duplicates included) / bad signatures | ${f.requests} / ${f.badSignatures} |
| publishing took / all delivered after | ${f.publishedS.toFixed(0)} s / ${f.doneS.toFixed(0)} s |

Target: p95 from change to delivery < 2 s while the app also takes submissions, no loss.
`;
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const start = old.indexOf(HEADING);
  let next = start >= 0 ? old.indexOf('\n## ', start + HEADING.length) : -1;
  if (next < 0) next = old.length;
  const out = start >= 0 ? `${old.slice(0, start)}${text}${old.slice(next)}` : `${old.trimEnd()}\n\n${text}`;
  fs.writeFileSync(file, out);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
