import { LEVELS, visitBody, type Actors, type AssignmentPool } from './mix';
import { ms } from './report';
import { log, type Call } from './settings';
import { pct } from './stats';

/**
 * Each request kind alone first, one at a time, just before the mix: what the machine gives without
 * contention (the "alone" column). Returns the median milliseconds per request kind.
 */
export async function measureAlone(
  call: Call,
  base: string,
  a: Actors,
  pool: AssignmentPool,
): Promise<Map<string, number>> {
  const { world } = a;
  const solo = new Map<string, number>();
  const alone = async (kind: string, times: number, run: (i: number) => Promise<{ status: number; ms: number }>) => {
    const took: number[] = [];
    for (let i = 0; i < times; i++) {
      const r = await run(i);
      if (r.status < 200 || r.status >= 300) throw new Error(`${kind} alone: ${r.status}`);
      took.push(r.ms);
    }
    solo.set(
      kind,
      pct(
        [...took].sort((x, y) => x - y),
        50,
      ),
    );
  };
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
  const soloVisits: string[] = [];
  await alone('auditor: POST /visits', 3, async () => {
    const next = world.pool[pool.next++];
    const r = await call(base, 'POST', '/api/v1/visits', {
      body: visitBody(world, next.assignmentId),
      headers: { ...bearer(a.auditorTokens[next.user]), 'Idempotency-Key': `solo-${next.assignmentId}` },
    });
    if ('body' in r) soloVisits.push(`${next.user}:${(r.body as { id: string }).id}`);
    return r;
  });
  await alone('auditor: POST /visits/:id/submit', 3, (i) => {
    const [user, id] = soloVisits[i].split(':');
    return call(base, 'POST', `/api/v1/visits/${id}/submit`, { headers: bearer(a.auditorTokens[Number(user)]) });
  });
  await alone('manager: GET /api/v1/results', 3, (i) =>
    call(base, 'GET', `/api/v1/results?bankId=${world.jiangnanId}&quarter=${world.quarter}&level=${LEVELS[i]}`, {
      headers: bearer(a.managerTokens[i]),
      timeoutMs: 120_000,
    }),
  );
  await alone('manager: GET /results (page)', 3, (i) =>
    call(base, 'GET', `/results?bankId=${world.jiangnanId}&quarter=${world.quarter}`, {
      headers: { Cookie: a.managerCookies[i] },
      timeoutMs: 120_000,
    }),
  );
  await alone('manager: GET report PDF', 3, (i) =>
    call(base, 'GET', a.managerFiles[i], { headers: bearer(a.managerTokens[i]) }),
  );
  let queued: string[] = [];
  await alone('reviewer: GET /review/queue', 3, async () => {
    const r = await call(base, 'GET', '/api/v1/review/queue', { headers: bearer(a.reviewerToken), timeoutMs: 120_000 });
    queued = 'body' in r ? (r.body as { id: string }[]).map((x) => x.id) : [];
    return r;
  });
  await alone('reviewer: POST /visits/:id/review', 3, (i) =>
    call(base, 'POST', `/api/v1/visits/${queued[i]}/review`, {
      body: { decision: 'approve' },
      headers: bearer(a.reviewerToken),
    }),
  );
  log(`alone (p50 ms): ${[...solo].map(([k, v]) => `${k} ${ms(v)}`).join('; ')}`);
  return solo;
}
