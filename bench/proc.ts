import fs from 'node:fs';

/**
 * What the benchmarks read of other processes from Linux's /proc: CPU time, resident memory, the
 * FerretDB process behind a port or data folder, and CPU time per thread. One copy for every
 * benchmark (the visits, webhooks, alerts and close benchmarks each had their own).
 */

/** utime + stime of a /proc stat line, in seconds (clock ticks of USER_HZ = 100). */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN without a pid or once it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    return statCpuSeconds(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in MB (0 once it is gone). */
export function rssMB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * The FerretDB process whose command line names `needle`: its data folder, or its whole listen
 * argument with the NUL that ends it (`--listen-addr=127.0.0.1:27018\0`, so that port 2701 does not
 * match 27018); not the guard shell that starts it.
 */
export function ferretPid(needle: string): number | undefined {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (
        cmd.includes('ferretdb') &&
        cmd.includes(needle) &&
        !cmd.startsWith('/bin/sh') &&
        !cmd.includes('ferretdb-guard')
      )
        return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** CPU seconds so far of each thread of a process, by thread id (empty once it is gone). */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      out.set(Number(tid), statCpuSeconds(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * Follows a process's threads while something runs, so that the CPU of threads that end before it
 * does (a close's render threads) is still counted: `sample()` as often as memory is sampled, then
 * `split()` for what each group of threads used since `start`.
 */
export function threadTracker(pid: number) {
  const before = threadCpuSeconds(pid);
  const last = new Map<number, number>();
  const sample = () => {
    for (const [tid, s] of threadCpuSeconds(pid)) last.set(tid, s);
  };
  sample();
  /** The main thread, the threads that existed before (V8's and libuv's helpers) and those started since. */
  const split = () => {
    const used = (tid: number) => (last.get(tid) ?? 0) - (before.get(tid) ?? 0);
    const started = [...last.keys()].filter((tid) => !before.has(tid));
    return {
      main: used(pid),
      helpers: [...before.keys()].filter((tid) => tid !== pid).reduce((s, tid) => s + used(tid), 0),
      started: started.map(used).sort((a, b) => b - a),
    };
  };
  return { sample, split };
}
