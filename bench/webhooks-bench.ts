import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds, ferretPid, startApp, startMailSink } from './webhooks/app';
import { runLoad } from './webhooks/drive';
import { startReceiver, type Receiver } from './webhooks/receivers';
import { allLatencies, describe, endpointFigures, type RunFigures } from './webhooks/report';
import {
  CHANGE_RATE,
  DRAIN_S,
  ENDPOINTS,
  EVENTS,
  RUNS,
  ROOT,
  SUBMIT_RATE,
  TARGET_P95_MS,
  log,
  pct,
} from './webhooks/settings';
import { stagesOf } from './webhooks/stages';
import { appEnv, prepareWorld } from './webhooks/world';

/**
 * Webhook delivery benchmark (issue 19, SPEC §13). Per run, on a fresh embedded FerretDB: the app in
 * its own process as `npm start` runs it (HTTP server, the 'events' follower, the sender, the mail
 * outbox); three receivers on loopback (two of the bank, one of the audit firm) verifying every
 * signature with standardwebhooks; an SMTP sink for the alert e-mails. Events come only from real
 * changes through the API: the reviewer approves visits with a compliance violation (visit.approved +
 * alert.violation), the bank manager disputes the violation (visit.disputed), the reviewer overturns
 * it (dispute.resolved + alert.withdrawn), BENCH_CHANGE_RATE changes/s open loop, until BENCH_EVENTS
 * events; meanwhile auditors create and submit visits at BENCH_SUBMIT_RATE/s. Measured: latency from
 * the change (the time in the payload's changedAt: the history entry's) to receipt, per endpoint;
 * throughput; no loss (every expected event at every endpoint), duplicates, order per visit; the
 * submissions' own latency; CPU of the app and FerretDB.
 *
 *   npm run bench:webhooks                                  # 10,000 events, 1 run
 *   BENCH_RUNS=3 npm run bench:webhooks                     # the figures in BENCHMARKS.md (medians)
 *   BENCH_EVENTS=1000 BENCH_CHANGE_RATE=12 npm run bench:webhooks   # a short run while iterating
 */
async function oneRun(run: number): Promise<RunFigures> {
  const { freePort, startEmbeddedDb } = await import('../server/platform/db/embedded');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-bench-webhooks-'));
  const dbPort = await freePort();
  const binary = process.env.FERRETDB_BIN ?? path.join(ROOT, '.tools', 'bin', 'ferretdb');
  const db = await startEmbeddedDb({ binary, dataDir, port: dbPort, dbName: 'bench' });
  const uri = `mongodb://127.0.0.1:${dbPort}/`;
  const receivers: Receiver[] = [];
  for (const name of ['bank-a', 'bank-b', 'firm']) receivers.push(await startReceiver(name));
  const smtpPort = await freePort();
  const mail = await startMailSink(smtpPort);
  const dbName = 'bench_webhooks';
  const world = await prepareWorld(uri, dbName, receivers, Math.ceil((EVENTS / CHANGE_RATE) * SUBMIT_RATE * 0.8) + 50);
  log(`run ${run}: ${world.toApprove.length} submitted visits ready; FerretDB on ${dbPort}`);
  const appPort = await freePort();
  const logFile = path.join(dataDir, 'app.log');
  const app = await startApp({ ...appEnv(uri, dbName), SMTP_URL: `smtp://127.0.0.1:${smtpPort}` }, appPort, logFile);
  const dbPid = ferretPid(dataDir);
  const cpu0 = { app: cpuSeconds(app.pid), db: cpuSeconds(dbPid), bench: process.cpuUsage() };
  const load0 = os.loadavg()[0];
  const t0 = Date.now();
  log(`run ${run}: ${EVENTS} events by changes at ${CHANGE_RATE}/s; submissions at ${SUBMIT_RATE}/s`);
  const load = await runLoad(appPort, world);
  const expectedAt = (r: Receiver) =>
    [...load.expected].reduce((s, [v, types]) => s + types.filter((t) => hasType(r, v, t)).length, 0);
  const deadline = Date.now() + DRAIN_S * 1000;
  while (Date.now() < deadline && receivers.some((r) => expectedAt(r) < load.expectedEvents))
    await new Promise((r) => setTimeout(r, 100));
  const lastArrival = Math.max(...receivers.flatMap((r) => [...r.arrivals.values()].map((a) => a.receivedAt)));
  const cpu = {
    app: cpuSeconds(app.pid) - cpu0.app,
    db: cpuSeconds(dbPid) - cpu0.db,
    bench: (process.cpuUsage(cpu0.bench).user + process.cpuUsage(cpu0.bench).system) / 1e6,
  };
  const endpoints = receivers.map((r) => endpointFigures(r, load));
  const lat = allLatencies(receivers);
  const received = receivers.reduce((s, r) => s + r.arrivals.size, 0);
  const changesMs = [...load.changes.approve, ...load.changes.dispute, ...load.changes.resolve];
  const subs = load.submissions;
  const fig: RunFigures = {
    events: load.expectedEvents,
    changes: {
      approve: load.changes.approve.length,
      dispute: load.changes.dispute.length,
      resolve: load.changes.resolve.length,
      errors: [...load.changeErrors.values()].reduce((s, n) => s + n, 0),
      lateStarts: load.lateStarts,
    },
    changeMs: { p50: pct(changesMs, 50), p95: pct(changesMs, 95) },
    changeRate: changesMs.length / load.changeSeconds,
    eventRate: load.expectedEvents / load.changeSeconds,
    deliveries: load.expectedEvents * ENDPOINTS,
    lost: endpoints.reduce((s, e) => s + e.missing, 0),
    duplicates: endpoints.reduce((s, e) => s + e.duplicates, 0),
    badSignatures: receivers.reduce((s, r) => s + r.badSignatures, 0),
    outOfOrder: endpoints.reduce((s, e) => s + e.outOfOrder, 0),
    unexpected: received - (load.expectedEvents * ENDPOINTS - endpoints.reduce((s, e) => s + e.missing, 0)),
    throughput: received / ((lastArrival - load.firstChangeAt) / 1000),
    drainS: (lastArrival - load.lastChangeAt) / 1000,
    p50: pct(lat, 50),
    p95: pct(lat, 95),
    p99: pct(lat, 99),
    max: pct(lat, 100),
    endpoints,
    submissions: {
      n: subs.totalMs.length,
      rate: subs.totalMs.length / load.changeSeconds,
      errors: subs.errors,
      p50: pct(subs.totalMs, 50),
      p95: pct(subs.totalMs, 95),
      p99: pct(subs.totalMs, 99),
    },
    alertMails: mail.received(),
    cpu,
    load: [load0, os.loadavg()[0]],
    seconds: (Date.now() - t0) / 1000,
  };
  fig.stages = await stagesOf(uri, dbName);
  for (const [k, n] of load.changeErrors) log(`change error ×${n}: ${k}`);
  await app.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await mail.close();
  await db.stop();
  if (process.env.BENCH_KEEP !== '1') fs.rmSync(dataDir, { recursive: true, force: true });
  else log(`kept ${dataDir}`);
  return fig;
}

function hasType(r: Receiver, visitId: string, type: string): boolean {
  return (r.perVisit.get(visitId) ?? []).some((id) => r.arrivals.get(id)?.type === type);
}

async function main(): Promise<void> {
  const runs: RunFigures[] = [];
  const file = path.join(os.tmpdir(), `webhooks-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  for (let i = 1; i <= RUNS; i++) {
    const f = await oneRun(i);
    runs.push(f);
    fs.writeFileSync(file, JSON.stringify({ settings: { EVENTS, CHANGE_RATE, SUBMIT_RATE }, runs }, null, 1));
    log(`run ${i}:\n${describe(f)}`);
    log(
      `p95 ${Math.round(f.p95)} ms: target < ${TARGET_P95_MS} ms ${f.p95 < TARGET_P95_MS ? 'met' : 'NOT met'}; lost ${f.lost}`,
    );
  }
  log(`figures of every run: ${file}`);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
