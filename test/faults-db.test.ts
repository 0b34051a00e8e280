import { Types } from 'mongoose';
import mongoose from 'mongoose';
import { call, spawnApp, startFaultDb, type Answer, type AppProcess, type FaultDb } from './helpers/faults';
import { buildVisitWorld, report, visitBody, type VisitWorldIds } from './helpers/faults-world';

/**
 * Fault: the database goes away under traffic and comes back. The real app runs as its own process
 * against a FerretDB this test owns. FerretDB is stopped (SIGTERM: connections refused) or frozen
 * (SIGSTOP: the port accepts, nothing answers) while clients keep reading and writing; every request
 * must be answered within a bound — a 503 `database_unavailable` in the error model, /healthz 503 —
 * and once FerretDB is back on the same port and data folder, the same app process recovers by
 * itself: /healthz 200, writes work, and every write acknowledged before, during or after the outage
 * is there exactly once.
 */
jest.setTimeout(120_000);

/**
 * No request may take longer than this while the database is away. The app's own bound for a hung
 * database is the driver's heartbeat (2 s) + its timeout (5 s), then a retried operation's server
 * selection (5 s): 12 s; the rest is slack for a loaded machine.
 */
const ANSWER_BOUND_MS = 15_000;
/** How long a stopped database may go unnoticed before every request is a fast 503. */
const DETECT_BOUND_MS = 15_000;
const DB_NAME = 'faults_db';
const CLIENTS = 3;

let db: FaultDb;
let app: AppProcess;
let world: VisitWorldIds;

beforeAll(async () => {
  db = await startFaultDb();
  app = await spawnApp({ mongoUri: db.uri(), dbName: DB_NAME });
  world = await buildVisitWorld(app.url, 1, 150, 'DBF');
});

afterAll(async () => {
  db?.thaw();
  await app?.kill('SIGKILL');
  await db?.dispose();
});

interface Sample {
  kind: 'read' | 'write' | 'health';
  start: number;
  end: number;
  status: number;
  code?: string;
  retryAfter?: string | null;
  error?: string;
}

const auditor = () => world.auditors[0];
const auth = () => ({ Authorization: `Bearer ${auditor().token}` });

/**
 * The writes: each assignment gets a visit under its own key; a write that got a 503 (or nothing)
 * goes back in the queue and is retried later with the same key, as a phone would.
 */
const queue: string[] = [];
const acked = new Map<string, string>(); // assignment → visit id of every 201 (checked equal)
const tried = new Set<string>();
const ackMismatch: string[] = [];
let fresh = 0;

function sample(kind: Sample['kind'], start: number, res: Answer): Sample {
  const base = { kind, start, end: Date.now(), status: res.status };
  if (!('body' in res)) return { ...base, error: res.error };
  return {
    ...base,
    code: (res.body as { error?: { code?: string } } | null)?.error?.code,
    retryAfter: res.headers.get('retry-after'),
  };
}

async function write(): Promise<Sample> {
  const a = queue.shift() ?? auditor().assignments[fresh++];
  if (!a) throw new Error('out of assignments: raise the number the world is built with');
  tried.add(a);
  const start = Date.now();
  const res = await call(app.url, 'POST', '/api/v1/visits', {
    body: visitBody(a, 1),
    headers: { ...auth(), 'Idempotency-Key': `db-${a}` },
    timeoutMs: 30_000,
  });
  if (res.status === 201 && 'body' in res) {
    const id = (res.body as { id: string }).id;
    if (acked.has(a) && acked.get(a) !== id) ackMismatch.push(a);
    acked.set(a, id);
  } else queue.push(a);
  return sample('write', start, res);
}

async function read(): Promise<Sample> {
  const start = Date.now();
  return sample('read', start, await call(app.url, 'GET', '/api/v1/visits', { headers: auth(), timeoutMs: 30_000 }));
}

async function health(): Promise<Sample> {
  const start = Date.now();
  return sample('health', start, await call(app.url, 'GET', '/healthz', { timeoutMs: 30_000 }));
}

/** CLIENTS loops of read + write + health until `stop` says so. */
async function traffic(stop: (all: Sample[]) => boolean, capMs: number): Promise<Sample[]> {
  const out: Sample[] = [];
  const deadline = Date.now() + capMs;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!stop(out) && Date.now() < deadline) out.push(...(await Promise.all([read(), write(), health()])));
    }),
  );
  return out;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
const firstAt = (s: Sample[], ok: (x: Sample) => boolean) =>
  s.filter(ok).reduce((m, x) => Math.min(m, x.end), Infinity);

async function outage(
  name: string,
  takeDown: () => Promise<void> | void,
  bringUp: () => Promise<void> | void,
): Promise<void> {
  const pid = app.pid;
  const warm = await traffic((all) => all.length >= 3 * CLIENTS * 2, 30_000);
  expect(warm.filter((s) => s.status >= 400)).toEqual([]);

  // Down: traffic until every kind of request has been a 503 for a couple of seconds.
  await takeDown();
  const downAt = Date.now();
  const allDownSince = (all: Sample[]) =>
    Math.max(
      ...(['read', 'write', 'health'] as const).map((k) =>
        firstAt(all, (x) => x.kind === k && x.start >= downAt && x.status === 503),
      ),
    );
  const down = await traffic((all) => Date.now() - allDownSince(all) > 2000, 60_000);
  const detected = allDownSince(down) - downAt;

  // Up again on the same port and data folder; the same process recovers without a restart.
  await bringUp();
  const upAt = Date.now();
  const recovered = (all: Sample[]) =>
    Math.max(
      firstAt(all, (x) => x.kind === 'health' && x.status === 200 && x.start >= upAt),
      firstAt(all, (x) => x.kind === 'write' && x.status === 201 && x.start >= upAt),
    );
  const up = await traffic((all) => Date.now() - recovered(all) > 1000, 60_000);
  const recoveredMs = recovered(up) - upAt;

  const during = down;
  const slowest = Math.max(...during.map((s) => s.end - s.start));
  const byStatus = (list: Sample[]) =>
    list.reduce<Record<string, number>>((m, s) => ({ ...m, [s.status]: (m[s.status] ?? 0) + 1 }), {});
  const perKind = Object.fromEntries(
    (['read', 'write', 'health'] as const).map((k) => {
      const mine = down.filter((x) => x.kind === k);
      return [
        k,
        {
          first503Ms: firstAt(mine, (x) => x.status === 503) - downAt,
          slowestMs: Math.max(...mine.map((x) => x.end - x.start)),
          medianMs: median(mine.map((x) => x.end - x.start)),
        },
      ];
    }),
  );
  report(`db-${name}`, {
    requestsDown: down.length,
    requestsUp: up.length,
    statusesDown: byStatus(down),
    statusesUp: byStatus(up),
    detectedMs: detected,
    slowestAnswerDownMs: slowest,
    perKind,
    recoveredMs,
    writesAcked: acked.size,
  });

  // Every request was answered, within the bound, and never with a 500.
  expect(during.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503))).toEqual([]);
  expect(slowest).toBeLessThanOrEqual(ANSWER_BOUND_MS);
  expect(detected).toBeLessThanOrEqual(DETECT_BOUND_MS);
  // The 503s are in the error model and say when to come back; /healthz says what is down.
  for (const s of during.filter((x) => x.status === 503 && x.kind !== 'health')) {
    expect([s.code, s.retryAfter]).toEqual(['database_unavailable', '5']);
  }
  const h = await call(app.url, 'GET', '/healthz');
  expect(h.status).toBe(200);
  // Coming back: 503s until the driver sees the database again, never a 500 or silence; after that only answers
  // (a write whose key a failed attempt left claimed may wait out the claim's lease: 409 idempotency_in_progress).
  expect(up.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503))).toEqual([]);
  expect(
    up.filter(
      (s) =>
        s.start >= upAt + recoveredMs && (s.status >= 500 || (s.status >= 400 && s.code !== 'idempotency_in_progress')),
    ),
  ).toEqual([]);
  expect(recoveredMs).toBeLessThanOrEqual(30_000);
  expect(app.pid).toBe(pid);
  expect(app.child.exitCode).toBeNull();
  expect(ackMismatch).toEqual([]);
}

test('FerretDB stopped (SIGTERM) under traffic: bounded 503s, then recovery without an app restart', async () => {
  await outage(
    'sigterm',
    () => db.stop(),
    () => db.start(),
  );
});

test('FerretDB frozen (SIGSTOP) under traffic: bounded 503s, then recovery without an app restart', async () => {
  await outage(
    'sigstop',
    () => db.freeze(),
    () => db.thaw(),
  );
});

test('after both outages every write is there exactly once: retried until acknowledged, none doubled', async () => {
  // The writes still queued are retried with their keys until acknowledged.
  const deadline = Date.now() + 40_000;
  while (queue.length && Date.now() < deadline) {
    const s = await write();
    if (s.status !== 201) await new Promise((r) => setTimeout(r, 250));
  }
  expect(queue).toEqual([]);
  expect(ackMismatch).toEqual([]);
  const conn = await mongoose.createConnection(db.uri(), { dbName: DB_NAME }).asPromise();
  try {
    const visits = await conn
      .db!.collection('visits')
      .find(
        { bankId: new Types.ObjectId(world.bankId) },
        { projection: { assignmentId: 1, idempotencyKey: 1, history: 1 } },
      )
      .toArray();
    expect(visits).toHaveLength(tried.size);
    for (const v of visits) {
      const a = String(v.assignmentId);
      expect(acked.get(a)).toBe(String(v._id));
      expect(v.idempotencyKey).toBe(`db-${a}`);
      expect(v.history.map((x: { action: string }) => x.action)).toEqual(['created']);
    }
    expect(new Set(visits.map((v) => String(v.assignmentId))).size).toBe(visits.length);
    report('db-writes', { writesTried: tried.size, writesAcked: acked.size, visitsInDb: visits.length });
  } finally {
    await conn.close();
  }
});
