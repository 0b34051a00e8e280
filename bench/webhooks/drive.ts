import { apiPoster } from './api-post';
import { visitBody } from '../visits/settings';
import { STAFF } from './world';
import { demoAnswers } from './answers';
import { CHANGE_RATE, EVENTS, MAX_IN_FLIGHT, SUBMIT_RATE, VIOLATED_ITEM, log } from './settings';
import type { WebhookWorld } from './world';

/**
 * The load, over the app's HTTP API, both open loop (started on a schedule whatever the answers):
 * - changes at CHANGE_RATE/s, each visit going through approve (visit.approved + alert.violation),
 *   dispute by the bank manager (visit.disputed) and overturn by the reviewer (dispute.resolved +
 *   alert.withdrawn) until EVENTS events are due;
 * - auditors' submissions (create + submit) at SUBMIT_RATE/s, timed.
 */
const post = apiPoster(128);

/** What a change should make every endpoint receive: the visit and the event types, in order. */
export type Expected = Map<string, string[]>;
const EVENTS_OF = {
  approve: ['visit.approved', 'alert.violation'],
  dispute: ['visit.disputed'],
  resolve: ['dispute.resolved', 'alert.withdrawn'],
} as const;
type Kind = keyof typeof EVENTS_OF;

export interface LoadResult {
  expected: Expected;
  expectedEvents: number;
  changes: Record<Kind, number[]>;
  changeErrors: Map<string, number>;
  /** Ticks started later than scheduled because MAX_IN_FLIGHT requests were still open. */
  lateStarts: number;
  submissions: { createMs: number[]; submitMs: number[]; totalMs: number[]; errors: number };
  changeSeconds: number;
  firstChangeAt: number;
  lastChangeAt: number;
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

export async function runLoad(port: number, w: WebhookWorld): Promise<LoadResult> {
  const r: LoadResult = {
    expected: new Map(),
    expectedEvents: 0,
    changes: { approve: [], dispute: [], resolve: [] },
    changeErrors: new Map(),
    lateStarts: 0,
    submissions: { createMs: [], submitMs: [], totalMs: [], errors: 0 },
    changeSeconds: 0,
    firstChangeAt: 0,
    lastChangeAt: 0,
  };
  const queues: Record<Kind, { visitId: string; disputeId?: string }[]> = {
    approve: w.toApprove.map((visitId) => ({ visitId })),
    dispute: [],
    resolve: [],
  };
  let due = 0; // events the changes started so far will give
  let inFlight = 0;
  const open = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inFlight += 1;
    const q = p.finally(() => {
      inFlight -= 1;
      open.delete(q);
    });
    open.add(q);
  };

  const change = async (kind: Kind, item: { visitId: string; disputeId?: string }) => {
    const t0 = Date.now();
    const res =
      kind === 'approve'
        ? await post(port, `/visits/${item.visitId}/review`, w.reviewerToken, { decision: 'approve' })
        : kind === 'dispute'
          ? await post(port, `/visits/${item.visitId}/disputes`, w.managerToken, {
              itemKey: VIOLATED_ITEM,
              reason: '顾客证件已核验，录像可证。',
            })
          : await post(port, `/disputes/${item.disputeId}/resolve`, w.reviewerToken, {
              decision: 'overturned',
              value: 'yes',
              note: '录像显示已核验证件。',
            });
    r.lastChangeAt = Date.now();
    if (res.status >= 300) {
      count(r.changeErrors, `${kind} ${res.status} ${res.body.slice(0, 120)}`);
      due -= EVENTS_OF[kind].length;
      return;
    }
    r.changes[kind].push(Date.now() - t0);
    const list = r.expected.get(item.visitId) ?? [];
    list.push(...EVENTS_OF[kind]);
    r.expected.set(item.visitId, list);
    if (kind === 'approve') queues.dispute.push(item);
    if (kind === 'dispute') queues.resolve.push({ ...item, disputeId: (JSON.parse(res.body) as { id: string }).id });
  };

  // ---- the submissions, alongside
  let stopSubmissions = false;
  const answers = demoAnswers();
  const submitRun = (async () => {
    const pool = w.submitters.flatMap((s) => s.assignments.map((a) => ({ token: s.token, a })));
    const start = Date.now();
    for (let i = 0; i < pool.length && !stopSubmissions; i++) {
      await sleepUntil(start + (i * 1000) / SUBMIT_RATE);
      const { token, a } = pool[i];
      track(
        (async () => {
          const t0 = Date.now();
          const made = await post(port, '/visits', token, { ...visitBody(a, answers), staff: STAFF });
          const t1 = Date.now();
          if (made.status !== 201) return void (r.submissions.errors += 1);
          const sent = await post(port, `/visits/${(JSON.parse(made.body) as { id: string }).id}/submit`, token);
          if (sent.status !== 200) return void (r.submissions.errors += 1);
          r.submissions.createMs.push(t1 - t0);
          r.submissions.submitMs.push(Date.now() - t1);
          r.submissions.totalMs.push(Date.now() - t0);
        })().catch(() => void (r.submissions.errors += 1)),
      );
    }
  })();

  // ---- the changes: round robin over approve / dispute / resolve, whichever has work
  const start = Date.now();
  r.firstChangeAt = start;
  const order: Kind[] = ['resolve', 'dispute', 'approve'];
  for (let tick = 0; due < EVENTS; tick++) {
    await sleepUntil(start + (tick * 1000) / CHANGE_RATE);
    if (inFlight >= MAX_IN_FLIGHT) {
      r.lateStarts += 1;
      await Promise.race(open);
    }
    const prefer = order[tick % 3];
    const kind = (queues[prefer].length ? prefer : order.find((k) => queues[k].length)) as Kind | undefined;
    if (!kind) {
      if (!inFlight && !queues.approve.length) break; // nothing left to change
      continue;
    }
    if (due + EVENTS_OF[kind].length > EVENTS && kind !== 'dispute' && queues.dispute.length) continue;
    const item = queues[kind].shift()!;
    due += EVENTS_OF[kind].length;
    track(change(kind, item).catch((e: unknown) => void count(r.changeErrors, `${kind} ${String(e)}`)));
    if (tick % (CHANGE_RATE * 30) === 0 && tick) log(`${tick} changes started, ${due} events due`);
  }
  await Promise.all(open);
  r.changeSeconds = (r.lastChangeAt - start) / 1000;
  stopSubmissions = true;
  await submitRun;
  await Promise.all(open);
  r.expectedEvents = [...r.expected.values()].reduce((s, l) => s + l.length, 0);
  return r;
}
