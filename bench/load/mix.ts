import autocannon from 'autocannon';
import { json } from './http';
import type { LoadWorld } from './seed';
import { log, SECONDS } from './settings';
import { record, start, type Ctx } from './stats';

/** The mix: what each group of users does, as autocannon request sets, and a group running them. */
export interface Group {
  name: string;
  connections: number;
  instance: autocannon.Instance;
  result?: autocannon.Result;
}

export function runGroup(
  name: string,
  url: string,
  connections: number,
  requests: autocannon.Request[],
  extra: Partial<autocannon.Options> = {},
): Group {
  const instance = autocannon({ url, connections, duration: SECONDS, timeout: 30, requests, ...extra }, (err) => {
    if (err) log(`${name}: autocannon failed: ${String(err)}`);
  });
  if (process.env.LOAD_DEBUG) {
    instance.on('reqError', (e) => log(`${name}: request error ${String(e)}`));
    instance.on('response', (_c, status) => log(`${name}: ${status}`));
  }
  return { name, connections, instance };
}

/** Who acts, as the set-up signed them in. */
export interface Actors {
  world: LoadWorld;
  auditorTokens: string[];
  managerTokens: string[];
  managerCookies: string[];
  /** Each manager's file of the closed report (their own cut of it). */
  managerFiles: string[];
  reviewerToken: string;
}

/** The open assignments, taken in turn by the solo phase and then the auditors. */
export interface AssignmentPool {
  next: number;
  exhausted: number;
}

export const LEVELS = ['bank', 'region', 'branch'];

export const visitBody = (world: LoadWorld, assignmentId: string) => ({
  assignmentId,
  visitedAt: new Date(Date.now() - 3600_000).toISOString(),
  durationMinutes: 35,
  staff: [{ description: '大堂经理，女，约30岁' }],
  answers: world.answers,
  summary: '服务基本规范，费用说明有欠缺。',
});

const skip = () => null as unknown as autocannon.Request;

/** Auditors: start a visit on the next open assignment, then submit it. */
export function auditorRequests(a: Actors, pool: AssignmentPool): autocannon.Request[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/visits',
      setupRequest: (req, context) => {
        const ctx = context as Ctx;
        const next = a.world.pool[pool.next++];
        if (!next) {
          pool.exhausted += 1;
          return skip();
        }
        ctx.auth = `Bearer ${a.auditorTokens[next.user]}`;
        ctx.visitId = undefined;
        start(ctx, 'auditor: POST /visits');
        return {
          ...req,
          headers: {
            ...req.headers,
            'content-type': 'application/json',
            authorization: ctx.auth,
            'idempotency-key': `load-${next.assignmentId}`,
          },
          body: JSON.stringify(visitBody(a.world, next.assignmentId)),
        };
      },
      onResponse: (status, body, context) => {
        const ctx = context as Ctx;
        record(ctx, status);
        ctx.visitId = status === 201 ? (json(body) as { id?: string } | undefined)?.id : undefined;
      },
    },
    {
      method: 'POST',
      path: '/api/v1/visits/x/submit',
      setupRequest: (req, context) => {
        const ctx = context as Ctx;
        if (!ctx.visitId) return skip();
        start(ctx, 'auditor: POST /visits/:id/submit');
        return {
          ...req,
          path: `/api/v1/visits/${ctx.visitId}/submit`,
          headers: { ...req.headers, authorization: ctx.auth as string },
        };
      },
      onResponse: (status, _body, context) => record(context as Ctx, status),
    },
  ];
}

/** Bank managers: the results API at some level, the dashboard page, a report PDF. */
export function managerRequests(a: Actors): autocannon.Request[] {
  let managerTurn = 0;
  const { world } = a;
  return [
    {
      method: 'GET',
      path: '/api/v1/results',
      setupRequest: (req, context) => {
        const ctx = context as Ctx;
        const who = managerTurn++ % a.managerTokens.length;
        ctx.who = who;
        start(ctx, 'manager: GET /api/v1/results');
        return {
          ...req,
          path: `/api/v1/results?bankId=${world.jiangnanId}&quarter=${world.quarter}&level=${LEVELS[who]}`,
          headers: { ...req.headers, authorization: `Bearer ${a.managerTokens[who]}` },
        };
      },
      onResponse: (status, _body, context) => record(context as Ctx, status),
    },
    {
      method: 'GET',
      path: '/results',
      setupRequest: (req, context) => {
        const ctx = context as Ctx;
        start(ctx, 'manager: GET /results (page)');
        return {
          ...req,
          path: `/results?bankId=${world.jiangnanId}&quarter=${world.quarter}`,
          headers: { ...req.headers, cookie: a.managerCookies[ctx.who as number] },
        };
      },
      onResponse: (status, _body, context) => record(context as Ctx, status),
    },
    {
      method: 'GET',
      path: '/api/v1/reports/x/files/bank',
      setupRequest: (req, context) => {
        const ctx = context as Ctx;
        start(ctx, 'manager: GET report PDF');
        return {
          ...req,
          path: a.managerFiles[ctx.who as number],
          headers: { ...req.headers, authorization: `Bearer ${a.managerTokens[ctx.who as number]}` },
        };
      },
      onResponse: (status, _body, context) => record(context as Ctx, status),
    },
  ];
}

/** Reviewers: read the queue, approve three visits from its older end. */
export function reviewerRequests(a: Actors): autocannon.Request[] {
  const approve = (n: number): autocannon.Request => ({
    method: 'POST',
    path: '/api/v1/visits/x/review',
    setupRequest: (req, context) => {
      const ctx = context as Ctx;
      const id = ctx.queue?.[n];
      if (!id) return skip();
      start(ctx, 'reviewer: POST /visits/:id/review');
      return {
        ...req,
        path: `/api/v1/visits/${id}/review`,
        headers: { ...req.headers, 'content-type': 'application/json', authorization: `Bearer ${a.reviewerToken}` },
        body: JSON.stringify({ decision: 'approve' }),
      };
    },
    onResponse: (status, _body, context) => record(context as Ctx, status),
  });
  return [
    {
      method: 'GET',
      path: '/api/v1/review/queue',
      setupRequest: (req, context) => {
        start(context as Ctx, 'reviewer: GET /review/queue');
        return { ...req, headers: { ...req.headers, authorization: `Bearer ${a.reviewerToken}` } };
      },
      onResponse: (status, body, context) => {
        const ctx = context as Ctx;
        record(ctx, status);
        const rows = (json(body) as { id: string }[] | undefined) ?? [];
        // Two reviewers at once: each picks from a different random part of the oldest twenty.
        const head = rows
          .slice(0, 20)
          .map((r) => r.id)
          .sort(() => Math.random() - 0.5);
        ctx.queue = head.slice(0, 3);
      },
    },
    approve(0),
    approve(1),
    approve(2),
  ];
}
