import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { cpuSeconds, ferretPid, rssMB, threadTracker } from '../bench/proc';

/**
 * What the benchmarks read from /proc (bench/proc.ts): a process's CPU and memory, the FerretDB
 * process behind a port, and the CPU of each thread, including threads that end before the
 * measurement does (a close's render threads).
 */
const spin = (ms: number) => {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
};

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
  spin(300);
  expect(cpuSeconds(process.pid) - before).toBeGreaterThanOrEqual(0.2);
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
    `const end = Date.now() + 400; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);
     setTimeout(() => process.exit(0), 100);`,
    { eval: true },
  );
  await new Promise((resolve) => worker.once('exit', resolve));
  clearInterval(sampling);
  spin(200);
  tracker.sample();
  const split = tracker.split();
  expect(split.started.length).toBeGreaterThanOrEqual(1);
  expect(split.started[0]).toBeGreaterThanOrEqual(0.25);
  expect(split.main).toBeGreaterThanOrEqual(0.1);
});
