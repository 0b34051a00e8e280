import mongoose, { Types, type Connection } from 'mongoose';
import { scoreVisit, type Answer, type ScoringSection } from '../server/rules/scoring';
import { call, spawnApp, startFaultDb, until, type AppProcess, type FaultDb } from './helpers/faults';
import {
  answersFor,
  buildVisitWorld,
  FAULT_SECTIONS,
  report,
  visitBody,
  type Auditor,
  type VisitWorldIds,
} from './helpers/faults-world';

/**
 * Fault: kill -9 of the app in the middle of a stream of visit submissions. The real app runs as its
 * own process against a FerretDB this test owns (so the data outlives the app). Auditor clients
 * create visits (each with its own Idempotency-Key and assignment) and submit them; the app is
 * killed with SIGKILL twice mid-stream and restarted on the same port; every request that got
 * no answer is retried with the same key until it is answered. Then, from the database: every
 * acknowledged visit exists exactly once, no assignment has two visits, nothing is half-written, and
 * every retry of a key answered with the same visit.
 */
jest.setTimeout(150_000);

const AUDITORS = 6;
const PER_AUDITOR = 15;
const LANES = 2; // concurrent requests per auditor
const KILL_AT = [0.3, 0.65]; // share of all operations acknowledged when the app is killed
const DB_NAME = 'faults_kill';

interface KeyLog {
  key: string;
  op: 'create' | 'submit';
  n: number;
  tries: number;
  noAnswer: number;
  inProgress: number;
  conflicts: number;
  ids: string[]; // the visit id of every 2xx answer
  reconciled: boolean; // a retried submit answered 409 invalid_state, and the visit proved submitted
}

let db: FaultDb;
let app: AppProcess;
let port = 0;
let world: VisitWorldIds;
let conn: Connection;
const logs: KeyLog[] = [];
let acked = 0;
let served = 0;
const statusCounts = new Map<number, number>();
const kills: { at: number; noAnswerBefore: number; restartMs: number }[] = [];

beforeAll(async () => {
  db = await startFaultDb();
  app = await spawnApp({ mongoUri: db.uri(), dbName: DB_NAME });
  port = app.port;
  world = await buildVisitWorld(app.url, AUDITORS, PER_AUDITOR);
  conn = await mongoose.createConnection(db.uri(), { dbName: DB_NAME }).asPromise();
});

afterAll(async () => {
  await conn?.close();
  await app?.kill('SIGKILL');
  await db?.dispose();
});

const base = () => `http://127.0.0.1:${port}`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noAnswerTotal = () => logs.reduce((s, l) => s + l.noAnswer, 0);

/** Sends one logical request until the app answers it; what "answered" means is the caller's. */
async function untilAnswered(
  log: KeyLog,
  send: () => ReturnType<typeof call>,
  accept: (status: number, body: unknown) => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    log.tries += 1;
    const res = await send();
    if (!('body' in res) || res.status === 503) {
      log.noAnswer += 1;
      await pause(100);
      continue;
    }
    served += 1;
    const body = res.body as { id?: string; error?: { code?: string } };
    statusCounts.set(res.status, (statusCounts.get(res.status) ?? 0) + 1);
    if (res.status === 409 && body.error?.code === 'idempotency_in_progress') {
      // The claim of a request that died with the app: taken over once its lease runs out.
      log.inProgress += 1;
      await pause(250);
      continue;
    }
    if (res.status === 409 && body.error?.code === 'conflict' && log.noAnswer > 0) {
      // A visit write claim left by a writer that died mid-write: the visit's own lease frees it.
      log.conflicts += 1;
      await pause(500);
      continue;
    }
    if (await accept(res.status, body)) return;
    throw new Error(`${log.op} ${log.key}: unexpected ${res.status} ${JSON.stringify(body)}`);
  }
  throw new Error(`${log.op} ${log.key}: no answer for 90 s`);
}

async function oneVisit(au: Auditor, assignmentId: string, n: number): Promise<void> {
  const auth = { Authorization: `Bearer ${au.token}` };
  const create: KeyLog = {
    key: `visit-${assignmentId}`,
    op: 'create',
    n,
    tries: 0,
    noAnswer: 0,
    inProgress: 0,
    conflicts: 0,
    ids: [],
    reconciled: false,
  };
  logs.push(create);
  await untilAnswered(
    create,
    () =>
      call(base(), 'POST', '/api/v1/visits', {
        body: visitBody(assignmentId, n),
        headers: { ...auth, 'Idempotency-Key': create.key },
        timeoutMs: 10_000,
      }),
    async (status, body) => {
      if (status !== 201) return false;
      create.ids.push((body as { id: string }).id);
      acked += 1;
      return true;
    },
  );
  const visitId = create.ids[0];
  const submit: KeyLog = {
    key: `submit-${visitId}`,
    op: 'submit',
    n,
    tries: 0,
    noAnswer: 0,
    inProgress: 0,
    conflicts: 0,
    ids: [],
    reconciled: false,
  };
  logs.push(submit);
  await untilAnswered(
    submit,
    () =>
      call(base(), 'POST', `/api/v1/visits/${visitId}/submit`, {
        headers: { ...auth, 'Idempotency-Key': submit.key },
        timeoutMs: 10_000,
      }),
    async (status, body) => {
      if (status === 200) {
        submit.ids.push((body as { id: string }).id);
        acked += 1;
        return true;
      }
      // Died after the submission was stored and before its answer was recorded: the retry runs the
      // handler again, which refuses to submit twice. The visit itself tells whether it went through.
      if (
        status === 409 &&
        (body as { error: { code: string } }).error.code === 'invalid_state' &&
        submit.noAnswer > 0
      ) {
        const now = await call(base(), 'GET', `/api/v1/visits/${visitId}`, { headers: auth });
        if (now.status === 200 && (now.body as { status: string }).status === 'submitted') {
          submit.reconciled = true;
          acked += 1;
          return true;
        }
      }
      return false;
    },
  );
}

async function killer(total: number): Promise<void> {
  for (const share of KILL_AT) {
    await until(`${share * 100}% acknowledged`, () => acked >= Math.floor(total * share), 90_000, 5);
    const noAnswerBefore = noAnswerTotal();
    await app.kill('SIGKILL');
    const t0 = Date.now();
    app = await spawnApp({ mongoUri: db.uri(), dbName: DB_NAME, port });
    kills.push({ at: acked, noAnswerBefore, restartMs: Date.now() - t0 });
  }
}

function expectedScores(answers: Answer[]) {
  return scoreVisit(FAULT_SECTIONS as unknown as ScoringSection[], answers);
}

test('kill -9 mid-stream: every acknowledged visit exactly once, nothing half-written, retries answer the same visit', async () => {
  const started = Date.now();
  const total = AUDITORS * PER_AUDITOR * 2;
  let n = 0;
  const numbered = world.auditors.map((au) => au.assignments.map((a) => ({ au, a, n: n++ })));
  const clients = numbered.map(async (queue) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < queue.length) {
          const { au, a, n: k } = queue[next++];
          await oneVisit(au, a, k);
        }
      }),
    );
  });
  await Promise.all([...clients, killer(total)]);
  const streamMs = Date.now() - started;

  // Every create key, replayed once more now that all is quiet: the same visit each time.
  const replays = await Promise.all(
    logs
      .filter((l) => l.op === 'create')
      .map(async (l) => {
        const au = world.auditors.find((x) => x.assignments.includes(l.key.slice('visit-'.length))) as Auditor;
        const res = await call(base(), 'POST', '/api/v1/visits', {
          body: visitBody(l.key.slice('visit-'.length), l.n),
          headers: { Authorization: `Bearer ${au.token}`, 'Idempotency-Key': l.key },
        });
        return { l, res };
      }),
  );
  for (const { l, res } of replays) {
    expect(res.status).toBe(201);
    expect((res as { body: { id: string } }).body.id).toBe(l.ids[0]);
  }

  const creates = logs.filter((l) => l.op === 'create');
  const submits = logs.filter((l) => l.op === 'submit');
  expect(creates).toHaveLength(AUDITORS * PER_AUDITOR);
  expect(submits).toHaveLength(AUDITORS * PER_AUDITOR);
  for (const l of logs) expect(new Set(l.ids).size).toBeLessThanOrEqual(1); // every 2xx of one key: one id

  // The database, read directly.
  const visits = await conn
    .db!.collection('visits')
    .find({ bankId: new Types.ObjectId(world.bankId) })
    .toArray();
  expect(visits).toHaveLength(AUDITORS * PER_AUDITOR);
  const byAssignment = new Map<string, number>();
  for (const v of visits) byAssignment.set(String(v.assignmentId), (byAssignment.get(String(v.assignmentId)) ?? 0) + 1);
  expect([...byAssignment.values()].every((c) => c === 1)).toBe(true);
  expect(byAssignment.size).toBe(AUDITORS * PER_AUDITOR);

  const byId = new Map(visits.map((v) => [String(v._id), v]));
  for (const l of creates) {
    const v = byId.get(l.ids[0]);
    expect(v).toBeDefined();
    if (!v) continue;
    const au = world.auditors.find((x) => x.id === String(v.auditorId)) as Auditor;
    expect(au).toBeDefined();
    expect(`visit-${String(v.assignmentId)}`).toBe(l.key);
    expect(v.idempotencyKey).toBe(l.key);
    for (const f of [
      'bankId',
      'branchCode',
      'region',
      'questionnaireId',
      'questionnaireVersion',
      'quarter',
      'visitedAt',
      'durationMinutes',
      'createdAt',
      'updatedAt',
    ]) {
      expect([f, v[f] ?? null]).not.toEqual([f, null]);
    }
    const sent = answersFor(l.n);
    expect(v.answers).toEqual(
      sent.map((a) => ({ itemKey: a.itemKey, value: a.value, ...(a.comment ? { comment: a.comment } : {}) })),
    );
    const s = expectedScores(v.answers as Answer[]);
    expect(v.scores.total).toBeCloseTo(s.total as number, 9);
    for (const [k, val] of Object.entries(s.sections)) {
      if (val === null) expect(v.scores.sections[k]).toBeNull();
      else expect(v.scores.sections[k]).toBeCloseTo(val, 9);
    }
    expect(v.violations).toEqual(s.violations);
    const actions = (v.history as { action: string }[]).map((h) => h.action);
    expect(actions).toEqual(['created', 'submitted']);
    expect(v.status).toBe('submitted');
    expect(v.submittedAt).toBeInstanceOf(Date);
    expect(v.rev).toBe(actions.length - 1);
  }
  // No key is left claimed: every retried request finished its record.
  expect(await conn.db!.collection('idempotencyrecords').countDocuments({ state: 'pending' })).toBe(0);

  const retried = logs.filter((l) => l.noAnswer > 0);
  report('kill', {
    kills: kills.length,
    restartsMs: kills.map((k) => k.restartMs),
    streamMs,
    visits: visits.length,
    operations: logs.length,
    acknowledged: acked,
    requestsServed: served,
    noAnswer: noAnswerTotal(),
    keysRetried: retried.length,
    keysWaitedForLease: logs.filter((l) => l.inProgress > 0).length,
    keysWaitedForWriteClaim: logs.filter((l) => l.conflicts > 0).length,
    retriedCreatesSameId: retried.filter((l) => l.op === 'create' && l.ids.length > 0).length,
    submitsReconciled: submits.filter((l) => l.reconciled).length,
    statuses: Object.fromEntries(statusCounts),
    replaysSameId: replays.length,
  });
  expect(kills).toHaveLength(KILL_AT.length);
  // The kills really landed mid-stream: some requests were cut off and retried.
  expect(retried.length).toBeGreaterThan(0);
});
