import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

/**
 * Who is asking, from where: set once per request, read by the audit log (server/audit/) so that
 * services record the client's address without taking `req`. Outside a request (CLI, workers) there
 * is none, and the audit entry says so.
 */
export interface RequestFacts {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

const store = new AsyncLocalStorage<RequestFacts>();

export function requestFacts(): RequestFacts {
  return store.getStore() ?? {};
}

/** Runs fn with these facts (the CLI, tests). */
export function withRequestFacts<T>(facts: RequestFacts, fn: () => T): T {
  return store.run(facts, fn);
}

/** Express middleware: the facts of this request, for everything it calls. */
export function requestContext(req: Request, _res: Response, next: NextFunction): void {
  const facts: RequestFacts = {
    ip: req.ip,
    userAgent: req.get('user-agent')?.slice(0, 300),
    requestId: req.requestId,
  };
  store.run(facts, next);
}
