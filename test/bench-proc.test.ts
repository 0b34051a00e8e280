import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { cpuSeconds, ferretPid, rssMB, threadTracker } from '../bench/proc';

/**
 * What the benchmarks read from /proc (bench/proc.ts): a process's CPU and memory, the FerretDB
 * process behind a port, and the CPU of each thread, including threads that end before the
 * measurement does (a close's render threads).
 */
// A fixed amount of work, not a fixed time: its CPU time does not shrink when a busy machine (the
// suite's other workers) gives this thread less of a core. About 0.1 s per 1e7 on the CI machine (Math is
// looked up once: a global read in Jest's sandbox is slow enough to make the loop twenty times longer).
const WORK = `const sqrt = Math.sqrt; let x = 0; for (let i = 0; i < N; i++) x += sqrt(x + 1);`;
const spin = (n: number) => new Function('N', `${WORK} return x;`)(n) as number;

const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) c.kill('SIGKILL');
});

function startProcess(cmd: string, args: string[]): Promise<number> {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  started.push(child);
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid as number));
    child.once('error', reject);
  });
}

test("a process's CPU grows with its work; none without a pid", () => {
  const before = cpuSeconds(process.pid);
  spin(3e7);
  expect(cpuSeconds(process.pid) - before).toBeGreaterThanOrEqual(0.08);
  expect(cpuSeconds(undefined)).toBeNaN();
});

test("a process's resident memory is the one Node reports for itself", () => {
  const node = process.memoryUsage().rss / 2 ** 20;
  expect(Math.abs(rssMB(process.pid) - node)).toBeLessThan(node * 0.1);
  expect(rssMB(undefined)).toBe(0);
});

test('the FerretDB process is found by its exact port, not its guard shell nor a port that begins the same', async () => {
  const port = 45_678;
  const sleep = 'setTimeout(() => {}, 20000)';
  const shell = await startProcess('/bin/sh', ['-c', `sleep 20; : ferretdb --listen-addr=127.0.0.1:${port}`]);
  const db = await startProcess(process.execPath, ['-e', sleep, 'ferretdb', `--listen-addr=127.0.0.1:${port}`]);
  await startProcess(process.execPath, ['-e', sleep, 'ferretdb', `--listen-addr=127.0.0.1:${port}9`]);
  const found = ferretPid(`--listen-addr=127.0.0.1:${port}\0`);
  expect(found).toBe(db);
  expect(found).not.toBe(shell);
  expect(ferretPid(`--listen-addr=127.0.0.1:${port + 1}\0`)).toBeUndefined();
});

test('the CPU of a thread that started and ended during the measurement is counted apart from the main thread', async () => {
  const tracker = threadTracker(process.pid);
  const sampling = setInterval(tracker.sample, 20);
  const worker = new Worker(
    `const x = ((N) => { ${WORK} return x; })(4e7); setTimeout(() => process.exit(x > 0 ? 0 : 1), 100);`,
    {
      eval: true,
    },
  );
  await new Promise((resolve) => worker.once('exit', resolve));
  clearInterval(sampling);
  spin(3e7);
  tracker.sample();
  const split = tracker.split();
  expect(split.started.length).toBeGreaterThanOrEqual(1);
  expect(split.started[0]).toBeGreaterThanOrEqual(0.12);
  expect(split.main).toBeGreaterThanOrEqual(0.08);
});
