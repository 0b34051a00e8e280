import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { NODE_FLAGS, PROFILE, ROOT } from './settings';

/**
 * The two servers measured, each in a process of its own (bench/visits-bench.ts --serve-app or
 * --serve-floor): the real app, and the floor — a bare Express + Mongoose endpoint inserting the same
 * visit document.
 */

/** The real app, as main.ts starts it, minus the background workers. */
export async function serveApp(): Promise<void> {
  const { startServices } = await import('../../server/bootstrap');
  const { createApp } = await import('../../server/app');
  await startServices();
  const stats = PROFILE ? profileCommands() : undefined;
  const cpu = process.env.BENCH_APP_CPU_PROFILE ? await startCpuProfile() : undefined;
  const server = createApp().listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('READY\n'));
  server.keepAliveTimeout = 30_000;
  process.on('SIGTERM', () => {
    if (stats) process.stdout.write(`PROFILE ${JSON.stringify([...stats])}\n`);
    server.close();
    if (!cpu) process.exit(0);
    cpu.post('Profiler.stop', (_err, r) => {
      fs.writeFileSync(String(process.env.BENCH_APP_CPU_PROFILE), JSON.stringify(r.profile));
      process.exit(0);
    });
  });
}

/** BENCH_APP_CPU_PROFILE=<file>: the app's CPU profile (open in Chrome DevTools), written when it stops. */
async function startCpuProfile() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  await new Promise<void>((resolve) =>
    session.post('Profiler.enable', () => session.post('Profiler.start', () => resolve())),
  );
  return session;
}

/** Database time per command and collection (the driver's command monitoring). */
function profileCommands(): Map<string, { n: number; ms: number }> {
  const stats = new Map<string, { n: number; ms: number }>();
  const started = new Map<number, string>();
  const client = mongoose.connection.getClient();
  // The filter's field names too: on FerretDB only an exact {_id} filter avoids a collection scan.
  const shape = (c: Record<string, unknown>) => {
    const filter = (c.filter ?? c.query) as Record<string, unknown> | undefined;
    return filter ? ` {${Object.keys(filter).join(',')}}` : '';
  };
  client.on('commandStarted', (e) =>
    started.set(
      e.requestId,
      `${e.commandName} ${String((e.command as Record<string, unknown>)[e.commandName])}${shape(e.command as Record<string, unknown>)}`,
    ),
  );
  client.on('commandSucceeded', (e) => {
    const key = started.get(e.requestId) ?? e.commandName;
    started.delete(e.requestId);
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += e.duration;
    stats.set(key, s);
  });
  return stats;
}

/** The floor: parse the JSON, insert the submitted visit document through Mongoose, answer 201. */
export async function serveFloor(): Promise<void> {
  const express = (await import('express')).default;
  const { Visit } = await import('../../server/visits/model');
  await mongoose.connect(String(process.env.MONGODB_URI), { dbName: process.env.DB_NAME });
  // The same indexes as the app's visits collection (on FerretDB: the unique ones only, see ensureIndexes).
  const { ensureIndexes } = await import('../../server/platform/db/connection');
  await ensureIndexes();
  const ctx = JSON.parse(String(process.env.BENCH_FLOOR_CONTEXT)) as { bankId: string; questionnaireId: string };
  const app = express();
  app.use(express.json({ limit: '256kb' }));
  app.post('/visits', (req, res, next) => {
    const b = req.body as {
      assignmentId: string;
      visitedAt: string;
      durationMinutes: number;
      staff: unknown[];
      answers: { itemKey: string; value: unknown }[];
      summary: string;
    };
    const auditorId = String(req.get('x-auditor'));
    const at = new Date();
    const changes = b.answers.map((a) => ({ field: `answers.${a.itemKey}`, before: null, after: a.value }));
    Visit.create({
      assignmentId: b.assignmentId,
      bankId: ctx.bankId,
      branchCode: 'B001',
      region: '华东区',
      auditorId,
      questionnaireId: ctx.questionnaireId,
      questionnaireVersion: 1,
      quarter: '2026-Q4',
      visitedAt: b.visitedAt,
      durationMinutes: b.durationMinutes,
      staff: b.staff,
      staffIds: ['BE0001'],
      answers: b.answers,
      summary: b.summary,
      status: 'submitted',
      scores: { sections: { greeting: 90, product_knowledge: 80, sales_compliance: 100, follow_up: 85 }, total: 90 },
      violations: [],
      flags: [],
      attachments: [],
      rev: 1,
      submittedAt: at,
      firstSubmittedAt: at,
      history: [
        {
          at,
          by: auditorId,
          role: 'auditor',
          action: 'created',
          changes: [{ field: 'status', before: null, after: 'draft' }, ...changes],
        },
        {
          at,
          by: auditorId,
          role: 'auditor',
          action: 'submitted',
          changes: [{ field: 'status', before: 'draft', after: 'submitted' }],
        },
      ],
    }).then((doc) => res.status(201).json({ id: String(doc._id), status: 'submitted' }), next);
  });
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('READY\n'));
  server.keepAliveTimeout = 30_000;
  process.on('SIGTERM', () => {
    server.close();
    void mongoose.disconnect().finally(() => process.exit(0));
  });
}

export interface Child {
  proc: ChildProcess;
  port: number;
  output: string[];
}

export async function startChild(mode: 'app' | 'floor', extraEnv: Record<string, string>): Promise<Child> {
  const port = await (await import('../../server/platform/db/embedded')).freePort();
  // Both servers load the sources through a bare SWC hook: @swc-node/register would also install
  // source-map-support, whose stack rewriting costs every Error made (Mongoose makes one per save),
  // which the deployed app (compiled JavaScript, `npm start`) does not pay.
  const proc = spawn(
    process.execPath,
    [
      ...NODE_FLAGS,
      '-r',
      path.join(ROOT, 'bench', 'results-ts-hook.js'),
      path.join(ROOT, 'bench', 'visits-bench.ts'),
      `--serve-${mode}`,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...extraEnv, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} server did not start: ${output.join('')}`)), 60_000);
    proc.stdout?.on('data', (b: Buffer) => {
      output.push(b.toString());
      if (b.toString().includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
    proc.once('exit', (code) => reject(new Error(`${mode} server exited (${code}): ${output.join('').slice(-2000)}`)));
  });
  return { proc, port, output };
}

export async function stopChild(c: Child): Promise<string> {
  if (c.proc.exitCode === null) {
    await new Promise<void>((resolve) => {
      c.proc.once('exit', () => resolve());
      c.proc.kill('SIGTERM');
    });
  }
  return c.output.join('');
}
