import http from 'node:http';
import { postJson } from '../http-post';
import type { AppWorld } from './setup';
import { CLIENTS, log, MEASURE_S, visitBody, WARMUP_S } from './settings';

/** The load: clients submitting visits, back to back or paced, and what each submission took. */

export const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS * 2 });

const post = (port: number, urlPath: string, headers: Record<string, string>, body?: unknown) =>
  postJson(agent, port, urlPath, headers, body);

export interface Measured {
  submissions: number;
  seconds: number;
  latencies: number[];
  errors: Map<string, number>;
  firstStepMs: number[];
  ranOut: number;
  completed: number;
}

export type Submit = (
  client: number,
  assignmentId: string,
) => Promise<{ ok: boolean; error?: string; firstStepMs?: number }>;

/**
 * Closed loop: `clients` loops, each submitting its own assignments back to back with no pause.
 * Counted: submissions that complete inside the measured window (after the warm-up).
 */
export async function drive(
  assignments: string[][],
  submit: Submit,
  clients = assignments.length,
  seconds = MEASURE_S,
  intervalMs = 0,
): Promise<Measured> {
  const t0 = performance.now();
  const warmEnd = t0 + WARMUP_S * 1000;
  const end = warmEnd + seconds * 1000;
  const m: Measured = {
    submissions: 0,
    seconds,
    latencies: [],
    errors: new Map(),
    firstStepMs: [],
    ranOut: 0,
    completed: 0,
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.all(
    assignments.slice(0, clients).map(async (list, client) => {
      // Paced clients start spread over one interval, so that the load arrives evenly.
      if (intervalMs) await pause(Math.random() * intervalMs);
      // Assignments are used up: a later phase continues with the ones left.
      for (let assignmentId = list.shift(); assignmentId !== undefined; assignmentId = list.shift()) {
        const start = performance.now();
        if (start >= end) {
          list.unshift(assignmentId);
          return;
        }
        if (intervalMs) {
          const next = start + intervalMs;
          await submitOnce(client, assignmentId, start);
          await pause(Math.max(0, next - performance.now()));
          continue;
        }
        await submitOnce(client, assignmentId, start);
      }
      m.ranOut++;
    }),
  );
  if (m.ranOut) log(`warning: ${m.ranOut} clients ran out of assignments before the end; raise BENCH_ASSIGNMENTS`);
  return m;

  async function submitOnce(client: number, assignmentId: string, start: number): Promise<void> {
    const r = await submit(client, assignmentId).catch((e: Error) => ({
      ok: false,
      error: e.message,
      firstStepMs: undefined,
    }));
    const done = performance.now();
    if (r.ok) m.completed++;
    if (done < warmEnd || done > end) return;
    if (!r.ok) {
      const key = r.error ?? 'error';
      m.errors.set(key, (m.errors.get(key) ?? 0) + 1);
      return;
    }
    m.submissions++;
    m.latencies.push(done - start);
    if (r.firstStepMs !== undefined) m.firstStepMs.push(r.firstStepMs);
  }
}

export function appSubmit(port: number, world: AppWorld, answers: unknown[]): Submit {
  return async (client, assignmentId) => {
    const auth = { Authorization: `Bearer ${world.clients[client].token}` };
    const t = performance.now();
    const created = await post(port, '/api/v1/visits', auth, visitBody(assignmentId, answers));
    if (created.status !== 201) return { ok: false, error: `create ${created.status} ${created.body.slice(0, 120)}` };
    const firstStepMs = performance.now() - t;
    const id = (JSON.parse(created.body) as { id: string }).id;
    const submitted = await post(port, `/api/v1/visits/${id}/submit`, auth);
    if (submitted.status !== 200)
      return { ok: false, error: `submit ${submitted.status} ${submitted.body.slice(0, 120)}` };
    return { ok: true, firstStepMs };
  };
}

export function floorSubmit(port: number, auditors: string[], answers: unknown[]): Submit {
  return async (client, assignmentId) => {
    const r = await post(port, '/visits', { 'X-Auditor': auditors[client] }, visitBody(assignmentId, answers));
    return r.status === 201 ? { ok: true } : { ok: false, error: `floor ${r.status} ${r.body.slice(0, 120)}` };
  };
}
