import path from 'node:path';
import { Types } from 'mongoose';
import { answersFor, type BenchAnswer } from './answers';

/** The benchmark's settings (environment variables, see bench/visits-bench.ts) and the request both servers receive. */

/** The project folder. */
export const ROOT = path.resolve(__dirname, '..', '..');
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
export const RUNS = env('BENCH_RUNS', 3);
export const CLIENTS = env('BENCH_CLIENTS', 50);
export const WARMUP_S = env('BENCH_WARMUP', 2);
export const MEASURE_S = env('BENCH_SECONDS', 15);
/** A second, short measurement with one client: the latency of a submission without contention. */
export const SOLO_S = env('BENCH_SOLO_SECONDS', 5);
/** Assignments prepared per client and run: more than a client can submit in a run. */
export const PER_CLIENT = env('BENCH_ASSIGNMENTS', 160);
/** Then the same clients paced: BENCH_PACED_RATE submissions/s in all, for BENCH_PACED_SECONDS — latency under a load both sustain. */
export const PACED_RATE = env('BENCH_PACED_RATE', 50);
export const PACED_S = env('BENCH_PACED_SECONDS', 10);
export const WRITE_FILE = process.env.BENCH_WRITE !== '0';
export const PROFILE = process.env.BENCH_PROFILE === '1';
export const TARGET = { ratio: 0.5, p95Ms: 100 };
/** Node flags of both server processes (BENCH_NODE_FLAGS, space-separated), e.g. GC tuning to try. */
export const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
export const PASSWORD = 'Bench-pass-2026';

export const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---- the request both servers receive

/** A complete answer set for the demo questionnaire, built from its items (see answers.ts). */
export async function answerSet(): Promise<BenchAnswer[]> {
  const { demoQuestionnaireBody } = await import('../../seed/questionnaire');
  return answersFor(demoQuestionnaireBody(new Types.ObjectId().toHexString()));
}

export function visitBody(assignmentId: string, answers: unknown[]): Record<string, unknown> {
  return {
    assignmentId,
    visitedAt: new Date(Date.now() - 2 * 3600_000).toISOString().replace('Z', '+00:00'),
    durationMinutes: 35,
    staff: [{ employeeId: 'BE0001' }, { description: '大堂经理，女，约30岁' }],
    answers,
    summary: '服务基本规范，费用说明有欠缺。',
  };
}
