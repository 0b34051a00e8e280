import fs from 'node:fs';
import os from 'node:os';
import { SAMPLE_MS } from './settings';

export interface Sample {
  t: number;
  app?: number;
  db?: number;
  appCpu?: number;
  dbCpu?: number;
  load: number;
}

function procStatus(pid: number | undefined): { rssKb?: number; cpuTicks?: number } {
  if (!pid) return {};
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    // utime and stime, fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name).
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { rssKb: rss, cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return {};
  }
}

/** RSS, CPU share of the last interval (100 % = one core) and the machine's load average, every SAMPLE_MS. */
export function startSampler(
  appPid: number,
  dbPid: number | undefined,
): { samples: Sample[]; stop(): void; t0: number } {
  const TICKS = 100; // USER_HZ on Linux
  const samples: Sample[] = [];
  const t0 = Date.now();
  let last = { t: t0, app: procStatus(appPid).cpuTicks ?? 0, db: procStatus(dbPid).cpuTicks ?? 0 };
  const take = () => {
    const now = Date.now();
    const a = procStatus(appPid);
    const d = procStatus(dbPid);
    const dt = (now - last.t) / 1000 || 1;
    samples.push({
      t: (now - t0) / 1000,
      app: a.rssKb,
      db: d.rssKb,
      load: os.loadavg()[0],
      appCpu: a.cpuTicks !== undefined ? ((a.cpuTicks - last.app) / TICKS / dt) * 100 : undefined,
      dbCpu: d.cpuTicks !== undefined ? ((d.cpuTicks - last.db) / TICKS / dt) * 100 : undefined,
    });
    last = { t: now, app: a.cpuTicks ?? last.app, db: d.cpuTicks ?? last.db };
  };
  const timer = setInterval(take, SAMPLE_MS);
  samples.push({ t: 0, app: procStatus(appPid).rssKb, db: procStatus(dbPid).rssKb, load: os.loadavg()[0] });
  return {
    samples,
    t0,
    stop: () => {
      clearInterval(timer);
      take();
    },
  };
}
