import type { LoadResult } from './drive';
import type { Stages } from './stages';
import type { Receiver } from './receivers';
import { pct } from './settings';

/** The figures of one run, worked out from what the receivers recorded against what the changes should give. */
export interface EndpointFigures {
  name: string;
  received: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RunFigures {
  events: number;
  changes: { approve: number; dispute: number; resolve: number; errors: number; lateStarts: number };
  changeMs: { p50: number; p95: number };
  changeRate: number;
  eventRate: number;
  deliveries: number;
  lost: number;
  duplicates: number;
  badSignatures: number;
  outOfOrder: number;
  unexpected: number;
  throughput: number;
  drainS: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  endpoints: EndpointFigures[];
  submissions: { n: number; rate: number; errors: number; p50: number; p95: number; p99: number };
  alertMails: number;
  cpu: { app: number; db: number; bench: number };
  load: [number, number];
  seconds: number;
  stages?: Stages;
}

export function endpointFigures(r: Receiver, load: LoadResult): EndpointFigures {
  let missing = 0;
  let outOfOrder = 0;
  const latencies: number[] = [];
  for (const [visitId, types] of load.expected) {
    const got = (r.perVisit.get(visitId) ?? []).map((id) => r.arrivals.get(id)!.type);
    for (const t of types) if (!got.includes(t)) missing += 1;
    // Received in the order of the changes (the types of a visit's chain are distinct).
    const order = got.filter((t) => types.includes(t));
    if (order.join() !== types.filter((t) => order.includes(t)).join()) outOfOrder += 1;
  }
  let duplicates = 0;
  for (const a of r.arrivals.values()) {
    duplicates += a.times - 1;
    latencies.push(a.receivedAt - a.changedAt);
  }
  return {
    name: r.name,
    received: r.arrivals.size,
    missing,
    duplicates,
    outOfOrder,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    max: pct(latencies, 100),
  };
}

export function allLatencies(receivers: Receiver[]): number[] {
  return receivers.flatMap((r) => [...r.arrivals.values()].map((a) => a.receivedAt - a.changedAt));
}

const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en')}` : '–');

export function describe(f: RunFigures): string {
  const lines = [
    `events ${f.events} (changes: ${f.changes.approve} approvals, ${f.changes.dispute} disputes, ${f.changes.resolve} overturns; ${f.changes.errors} errors, ${f.changes.lateStarts} late starts) at ${f.changeRate.toFixed(1)} changes/s = ${f.eventRate.toFixed(1)} events/s`,
    `deliveries ${f.deliveries}, lost ${f.lost}, duplicates ${f.duplicates}, bad signatures ${f.badSignatures}, out of order ${f.outOfOrder}, unexpected ${f.unexpected}`,
    `change -> receipt p50/p95/p99/max ${ms(f.p50)} / ${ms(f.p95)} / ${ms(f.p99)} / ${ms(f.max)} ms; throughput ${f.throughput.toFixed(1)} deliveries/s; all in ${f.drainS.toFixed(1)} s after the last change`,
    ...f.endpoints.map(
      (e) =>
        `  ${e.name}: ${e.received} received, ${e.missing} missing, ${e.duplicates} dup, ${e.outOfOrder} out of order; p50/p95/p99/max ${ms(e.p50)} / ${ms(e.p95)} / ${ms(e.p99)} / ${ms(e.max)} ms`,
    ),
    `submissions ${f.submissions.n} at ${f.submissions.rate.toFixed(2)}/s (${f.submissions.errors} errors): create+submit p50/p95/p99 ${ms(f.submissions.p50)} / ${ms(f.submissions.p95)} / ${ms(f.submissions.p99)} ms`,
    `change answered p50/p95 ${ms(f.changeMs.p50)} / ${ms(f.changeMs.p95)} ms; alert e-mails ${f.alertMails}; CPU s app ${f.cpu.app.toFixed(0)}, FerretDB ${f.cpu.db.toFixed(0)}, bench ${f.cpu.bench.toFixed(0)}; load ${f.load[0].toFixed(1)} -> ${f.load[1].toFixed(1)}; ${f.seconds.toFixed(0)} s`,
    ...(f.stages
      ? [
          `stages p50/p95: change -> queued ${ms(f.stages.queuedP50)} / ${ms(f.stages.queuedP95)} ms; queued -> delivered ${ms(f.stages.sentP50)} / ${ms(f.stages.sentP95)} ms`,
        ]
      : []),
  ];
  return lines.join('\n');
}
