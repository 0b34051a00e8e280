import mongoose, { type Connection } from 'mongoose';
import {
  call,
  created,
  FAULT_ADMIN,
  spawnApp,
  startFaultDb,
  tokenOf,
  until,
  type AppProcess,
  type FaultDb,
} from './helpers/faults';
import {
  buildVisitWorld,
  currentQuarter,
  report,
  runPool,
  visitBody,
  type VisitWorldIds,
} from './helpers/faults-world';

/**
 * Fault: kill -9 of the app while a reviewer approves a stream of visits (each approval changes the
 * kept statistics, SPEC §15). Every approval that got no answer is sent again until answered. Then
 * the figures the app publishes must equal what the approved visits in the database say — counted
 * here from the raw documents — and no change note may be left behind once a reader has read.
 */
jest.setTimeout(170_000);

const AUDITORS = 3;
const PER_AUDITOR = 12;
const DB_NAME = 'faults_stats';
const KILL_AT = [0.3, 0.7];

let db: FaultDb;
let app: AppProcess;
let port = 0;
let world: VisitWorldIds;
let conn: Connection;
let reviewerToken = '';

beforeAll(async () => {
  db = await startFaultDb();
  app = await spawnApp({ mongoUri: db.uri(), dbName: DB_NAME });
  port = app.port;
  world = await buildVisitWorld(app.url, AUDITORS, PER_AUDITOR, 'FST');
  await created(app.url, world.adminToken, '/api/v1/users', {
    email: 'qc@fst.faults',
    password: FAULT_ADMIN.password,
    name: '质检',
    role: 'reviewer',
  });
  reviewerToken = await tokenOf(app.url, 'qc@fst.faults', FAULT_ADMIN.password);
  conn = await mongoose.createConnection(db.uri(), { dbName: DB_NAME }).asPromise();
});

afterAll(async () => {
  await conn?.close();
  await app?.kill('SIGKILL');
  await db?.dispose();
});

const base = () => `http://127.0.0.1:${port}`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function submittedVisits(): Promise<string[]> {
  const ids: string[] = [];
  let n = 0;
  const jobs = world.auditors.flatMap((au) => au.assignments.map((a) => ({ au, a, n: n++ })));
  await runPool(jobs, 4, async ({ au, a, n: k }) => {
    const auth = { Authorization: `Bearer ${au.token}` };
    const v = await call(base(), 'POST', '/api/v1/visits', { body: visitBody(a, k), headers: auth });
    if (!('body' in v) || v.status !== 201) throw new Error(`visit: ${JSON.stringify(v)}`);
    const id = (v.body as { id: string }).id;
    const s = await call(base(), 'POST', `/api/v1/visits/${id}/submit`, { headers: auth });
    if (!('body' in s) || s.status !== 200) throw new Error(`submit: ${JSON.stringify(s)}`);
    ids.push(id);
  });
  return ids;
}

/** Approves until the app says so, or says it is approved already (the answer was lost in a kill). */
async function approve(id: string, log: { noAnswer: number }): Promise<void> {
  const auth = { Authorization: `Bearer ${reviewerToken}` };
  for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
    const res = await call(base(), 'POST', `/api/v1/visits/${id}/review`, {
      body: { decision: 'approve' },
      headers: auth,
      timeoutMs: 10_000,
    });
    if (!('body' in res) || res.status === 503) {
      log.noAnswer += 1;
      await pause(100);
      continue;
    }
    if (res.status === 200) return;
    const code = (res.body as { error?: { code?: string } }).error?.code;
    if (res.status === 409 && code === 'conflict') {
      await pause(300); // a write claim of a writer that died: freed by its lease
      continue;
    }
    if (res.status === 409 && code === 'invalid_state') {
      const now = await call(base(), 'GET', `/api/v1/visits/${id}`, { headers: auth });
      if ('body' in now && (now.body as { status: string }).status === 'approved') return;
    }
    throw new Error(`approve ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  throw new Error(`approve ${id}: no answer for 90 s`);
}

/** Per branch, from the raw visit documents: approved visits and the mean of their stored totals. */
async function fromTheVisits(): Promise<Record<string, { n: number; total: number }>> {
  const rows = await conn
    .collection('visits')
    .find({ status: { $in: ['approved', 'disputed'] } }, { projection: { branchCode: 1, 'scores.total': 1 } })
    .toArray();
  const out: Record<string, { n: number; sum: number }> = {};
  for (const v of rows) {
    const b = (out[v.branchCode as string] ??= { n: 0, sum: 0 });
    b.n += 1;
    b.sum += (v.scores as { total: number }).total;
  }
  return Object.fromEntries(Object.entries(out).map(([k, b]) => [k, { n: b.n, total: b.sum / b.n }]));
}

test('kill -9 during approvals: the published figures equal the approved visits, nothing noted is left behind', async () => {
  const ids = await submittedVisits();
  const log = { noAnswer: 0 };
  let done = 0;
  const kills: number[] = [];
  const killer = (async () => {
    for (const share of KILL_AT) {
      await until(`${share * 100}% approved`, () => done >= Math.floor(ids.length * share), 90_000, 5);
      await app.kill('SIGKILL');
      app = await spawnApp({ mongoUri: db.uri(), dbName: DB_NAME, port });
      kills.push(done);
    }
  })();
  await Promise.all([
    runPool(ids, 4, async (id) => {
      await approve(id, log);
      done += 1;
    }),
    killer,
  ]);

  const results = await call(
    base(),
    'GET',
    `/api/v1/results?bankId=${world.bankId}&quarter=${currentQuarter()}&level=branch`,
    { headers: { Authorization: `Bearer ${world.adminToken}` } },
  );
  if (!('body' in results)) throw new Error('no answer from results');
  expect(results.status).toBe(200);
  const published = Object.fromEntries(
    (results.body as { rows: { key: string; n: number; total: number }[] }).rows.map((r) => [r.key, r]),
  );
  const want = await fromTheVisits();
  expect(Object.keys(published).sort()).toEqual(Object.keys(want).sort());
  for (const [code, w] of Object.entries(want)) {
    expect({ code, n: published[code].n }).toEqual({ code, n: w.n });
    expect(Math.abs(published[code].total - w.total)).toBeLessThan(1e-9);
  }
  expect(Object.values(want).reduce((s, b) => s + b.n, 0)).toBe(ids.length);
  expect(await conn.collection('visit_changes').countDocuments({ pending: 'stats' })).toBe(0);
  report('stats-kill', { approvals: ids.length, killedAt: kills, noAnswer: log.noAnswer });
});
