import mongoose from 'mongoose';
import type { RunningApp } from './app';
import type { LargeBank } from './generate';
import { readKinds } from './reads';
import { DB_NAME, env, median, quantile } from './settings';

/**
 * The load test on the large bank (issue 13): managers reading dashboards while auditors submit and
 * reviewers approve, each request kind at a paced rate (open loop: a request is sent at its time
 * whether or not the ones before it have been answered, so a slow answer cannot hide the queue behind
 * it). Latency is from sending to the last byte.
 */
export const LOAD_SECONDS = env('LOAD_SECONDS', 180);

export interface Kind {
  name: string;
  perSecond: number;
  /** One request (or a chain that is one user action); returns the HTTP status of its last step. */
  fire(): Promise<number>;
}

export interface KindResult {
  name: string;
  perSecond: number;
  ms: number[];
  statuses: Record<number, number>;
  failures: number;
}

export async function runPaced(kinds: Kind[], seconds: number): Promise<KindResult[]> {
  const results = kinds.map((k) => ({
    name: k.name,
    perSecond: k.perSecond,
    ms: [] as number[],
    statuses: {},
    failures: 0,
  }));
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  await Promise.all(
    kinds.map(async (k, i) => {
      const r: KindResult = results[i];
      const n = Math.floor(seconds * k.perSecond);
      for (let j = 0; j < n; j++) {
        const at = t0 + (j + 0.5) * (1000 / k.perSecond);
        const wait = at - performance.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        const sent = performance.now();
        inFlight.push(
          k.fire().then(
            (status) => {
              r.ms.push(performance.now() - sent);
              r.statuses[status] = (r.statuses[status] ?? 0) + 1;
            },
            () => {
              r.failures += 1;
            },
          ),
        );
      }
    }),
  );
  await Promise.all(inFlight);
  return results;
}

async function timedStatus(url: string, init: RequestInit): Promise<number> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
  await res.arrayBuffer();
  return res.status;
}

/**
 * The open assignments the auditor fills and the submitted visits the reviewer approves. Set-up, not
 * measured: the assignments are written straight to the database (through the API each took seconds
 * here, its checks reading the large bank's collections).
 */
async function prepare(uri: string, w: LargeBank, visits: number) {
  await mongoose.connect(uri, { dbName: DB_NAME });
  const { Branch } = await import('../../server/banks/model');
  const { Visit } = await import('../../server/visits/model');
  const { Assignment } = await import('../../server/assignments/model');
  const branches = await Branch.find({ bankId: w.bankId }, { code: 1, region: 1 }).limit(visits).lean();
  const submitted = await Visit.find({ bankId: w.bankId, status: 'submitted' }, { _id: 1 })
    .limit(visits * 2)
    .lean();
  // A window in the quarter read, which lies in the past: the visit time sits inside it.
  const [y, q] = w.quarter.split('-Q').map(Number);
  const windowStart = new Date(Date.UTC(y, (q - 1) * 3 + 1, 1));
  const windowEnd = new Date(windowStart.getTime() + 20 * 86400_000);
  const made = await Assignment.insertMany(
    branches.map((b) => ({
      bankId: w.bankId,
      branchCode: b.code,
      region: b.region,
      auditorId: w.users.auditor,
      questionnaireId: w.questionnaireId,
      quarter: w.quarter,
      windowStart,
      windowEnd,
      scenario: '理财咨询',
    })),
  );
  await mongoose.disconnect();
  const visitedAt = new Date(windowStart.getTime() + 5 * 86400_000).toISOString();
  return { assignments: made.map((a) => String(a._id)), submitted: submitted.map((v) => String(v._id)), visitedAt };
}

const ANSWERS = [
  ['gr_30s', 'yes'],
  ['gr_eye', 'yes'],
  ['gr_wait', 4],
  ['gr_ticket', 'na'],
  ['pk_features', 'yes'],
  ['pk_fees', 3],
  ['pk_term', 'no'],
  ['pk_compare', 'yes'],
  ['sc_risk', 'yes'],
  ['sc_suit', 'yes'],
  ['sc_noguarantee', 'yes'],
  ['sc_record', 'na'],
  ['fu_contact', 'yes'],
  ['fu_call', 'na'],
  ['fu_after', 4],
  ['fu_card', 'yes'],
].map(([itemKey, value]) => ({ itemKey, value, comment: '柜员服务规范，费用说明清楚。' }));

export async function loadKinds(uri: string, app: RunningApp, w: LargeBank, rates: Record<string, number>) {
  const { call } = await import('../../test/helpers/faults');
  // Sign-in waits behind the app's start-up work on the large bank: a longer wait than the tests' 15 s.
  const tokenOf = async (base: string, email: string, password: string) => {
    const res = await call(base, 'POST', '/api/v1/auth/token', { body: { email, password }, timeoutMs: 300_000 });
    if (res.status !== 200 || !('body' in res)) throw new Error(`sign-in of ${email} failed: ${res.status}`);
    return (res.body as { token: string }).token;
  };
  const auditorVisits = Math.ceil(LOAD_SECONDS * rates.auditor) + 2;
  const prep = await prepare(uri, w, auditorVisits);
  const auditor = await tokenOf(app.url, 'auditor@bench.local', w.password);
  const reviewer = await tokenOf(app.url, 'reviewer@bench.local', w.password);
  const reads = await readKinds(app.url, w);
  const json = (token: string, body: unknown, key?: string): RequestInit => ({
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      ...(key ? { 'Idempotency-Key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  let nextAssignment = 0;
  let nextApproval = 0;
  const kinds: Kind[] = reads.map((r) => ({
    name: `manager: ${r.label.replace(/`/g, '')}`,
    perSecond: rates[r.name],
    fire: async () => (await r.request(app.url)).status,
  }));
  kinds.push({
    name: 'auditor: create a visit and submit it (two requests)',
    perSecond: rates.auditor,
    fire: async () => {
      const assignmentId = prep.assignments[nextAssignment++];
      const res = await fetch(
        `${app.url}/api/v1/visits`,
        json(
          auditor,
          {
            assignmentId,
            visitedAt: prep.visitedAt,
            durationMinutes: 30,
            staff: [{ description: '柜员' }],
            answers: ANSWERS,
          },
          `load-${assignmentId}`,
        ),
      );
      const body = (await res.json()) as { id?: string };
      if (res.status !== 201 || !body.id) return res.status;
      return timedStatus(`${app.url}/api/v1/visits/${body.id}/submit`, json(auditor, {}));
    },
  });
  kinds.push({
    name: 'reviewer: approve a submitted visit',
    perSecond: rates.approve,
    fire: async () =>
      timedStatus(
        `${app.url}/api/v1/visits/${prep.submitted[nextApproval++]}/review`,
        json(reviewer, { decision: 'approve' }),
      ),
  });
  return kinds;
}

export function summarize(r: KindResult): string {
  const errors = Object.entries(r.statuses)
    .filter(([s]) => Number(s) >= 400)
    .map(([s, n]) => `${n}× ${s}`)
    .join(', ');
  return `| ${r.name} | ${r.perSecond} | ${r.ms.length} | ${median(r.ms).toFixed(0)} ms | ${quantile(r.ms, 0.95).toFixed(0)} ms | ${quantile(r.ms, 0.99).toFixed(0)} ms | ${Math.max(...r.ms).toFixed(0)} ms | ${errors || '0'}${r.failures ? `; ${r.failures} without an answer` : ''} |`;
}
