import { apiPoster } from '../webhooks/api-post';
import { visitBody } from '../visits/settings';
import { demoAnswers } from '../webhooks/answers';
import { STAFF } from '../webhooks/world';

/**
 * The load over the app's HTTP API, open loop: the reviewer approves the prepared visits (each with a
 * compliance violation) at `rate` per second, timed from the start of each request; meanwhile the
 * auditors create and submit visits at `submitRate` per second.
 */
const post = apiPoster(64);

export interface Load {
  /** Per approved visit: when its approval request started. */
  approvedAt: Map<string, number>;
  approvalErrors: number;
  approvalMs: number[];
  submissions: { ok: number; errors: number; ms: number[] };
  seconds: number;
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

export interface Drive {
  port: number;
  reviewerToken: string;
  toApprove: string[];
  submitters: { token: string; assignments: string[] }[];
  rate: number;
  submitRate: number;
}

export async function drive(d: Drive): Promise<Load> {
  const load: Load = {
    approvedAt: new Map(),
    approvalErrors: 0,
    approvalMs: [],
    submissions: { ok: 0, errors: 0, ms: [] },
    seconds: 0,
  };
  const open = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const q = p.finally(() => open.delete(q));
    open.add(q);
  };
  let stop = false;
  const pool = d.submitters.flatMap((s) => s.assignments.map((a) => ({ token: s.token, a })));
  const answers = demoAnswers();
  const start = Date.now();
  const submitting = (async () => {
    for (let i = 0; i < pool.length && !stop; i++) {
      await sleepUntil(start + (i * 1000) / d.submitRate);
      const { token, a } = pool[i];
      track(
        (async () => {
          const t0 = Date.now();
          const made = await post(d.port, '/visits', token, { ...visitBody(a, answers), staff: STAFF });
          if (made.status !== 201) throw new Error('create');
          const id = (JSON.parse(made.body) as { id: string }).id;
          if ((await post(d.port, `/visits/${id}/submit`, token)).status !== 200) throw new Error('submit');
          load.submissions.ok += 1;
          load.submissions.ms.push(Date.now() - t0);
        })().catch(() => void (load.submissions.errors += 1)),
      );
    }
  })();
  for (const [i, visitId] of d.toApprove.entries()) {
    await sleepUntil(start + (i * 1000) / d.rate);
    track(
      (async () => {
        const t0 = Date.now();
        const res = await post(d.port, `/visits/${visitId}/review`, d.reviewerToken, { decision: 'approve' });
        if (res.status !== 200) return void (load.approvalErrors += 1);
        load.approvedAt.set(visitId, t0);
        load.approvalMs.push(Date.now() - t0);
      })().catch(() => void (load.approvalErrors += 1)),
    );
  }
  await Promise.all(open);
  load.seconds = (Date.now() - start) / 1000;
  stop = true;
  await submitting;
  await Promise.all(open);
  return load;
}
