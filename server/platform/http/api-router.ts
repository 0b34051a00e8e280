import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { ZodTypeAny, z } from 'zod';
import { requireRole, type Principal, type Role } from '../access';
import { UnauthorizedError } from '../errors';
import { parseBody, parseQuery } from './validation';

export type Access = readonly Role[] | 'public' | 'authenticated';

export interface RouteContext<B, Q> {
  req: Request;
  res: Response;
  user: Principal;
  body: B;
  query: Q;
  params: Record<string, string>;
}

export interface RouteDef<BS extends ZodTypeAny | undefined, QS extends ZodTypeAny | undefined> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  summary: string;
  access: Access;
  body?: BS;
  query?: QS;
  /** Middleware that parses a multipart upload into req.file (field `file`). */
  upload?: RequestHandler;
  /** Runs before authentication checks and parsing, e.g. a rate limiter. */
  before?: RequestHandler[];
  status?: number;
  /** Content types served besides JSON, for the OpenAPI document. */
  produces?: string[];
  handler: (
    ctx: RouteContext<
      BS extends ZodTypeAny ? z.output<BS> : undefined,
      QS extends ZodTypeAny ? z.output<QS> : undefined
    >,
  ) => Promise<unknown>;
}

export interface RegisteredRoute {
  method: string;
  path: string;
  summary: string;
  access: Access;
  body?: ZodTypeAny;
  query?: ZodTypeAny;
  upload: boolean;
  status: number;
  produces?: string[];
}

type Wrapped = (req: Request, res: Response, next: NextFunction) => void;

function wrap(def: RouteDef<ZodTypeAny | undefined, ZodTypeAny | undefined>): Wrapped {
  return (req, res, next) => {
    (async () => {
      const user = req.principal;
      if (def.access !== 'public') {
        if (!user) throw new UnauthorizedError();
        if (def.access !== 'authenticated') requireRole(user, def.access);
      }
      const body = def.body ? parseBody(def.body, req.body) : undefined;
      const query = def.query ? parseQuery(def.query, req.query) : undefined;
      const result = await def.handler({
        req,
        res,
        user: user as Principal,
        body,
        query,
        params: req.params as Record<string, string>,
      });
      if (result !== undefined && !res.headersSent) res.status(def.status ?? 200).json(result);
    })().catch(next);
  };
}

/** An API router whose `add` both mounts a route and records it in the route table. */
export class ApiRouter {
  readonly router: Router = express.Router();
  /** Every API route is declared here, which gives the OpenAPI document and the authorization matrix one source. */
  readonly routes: RegisteredRoute[] = [];
  constructor(private readonly prefix: string) {}

  add<BS extends ZodTypeAny | undefined = undefined, QS extends ZodTypeAny | undefined = undefined>(
    def: RouteDef<BS, QS>,
  ): this {
    const d = def as unknown as RouteDef<ZodTypeAny | undefined, ZodTypeAny | undefined>;
    const chain: RequestHandler[] = [...(d.before ?? [])];
    if (d.upload) chain.push(authGate(d.access), d.upload);
    chain.push(wrap(d) as RequestHandler);
    this.router[d.method](d.path, ...chain);
    this.routes.push({
      method: d.method.toUpperCase(),
      path: this.prefix + d.path,
      summary: d.summary,
      access: d.access,
      body: d.body,
      query: d.query,
      upload: Boolean(d.upload),
      status: d.status ?? 200,
      produces: d.produces,
    });
    return this;
  }
}

/** For uploads the role check runs before the file is read, so nobody streams 20 MB to get a 403. */
function authGate(access: Access): RequestHandler {
  return (req, _res, next) => {
    try {
      if (access !== 'public') {
        if (!req.principal) throw new UnauthorizedError();
        if (access !== 'authenticated') requireRole(req.principal, access);
      }
      next();
    } catch (e) {
      next(e);
    }
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    requestId?: string;
  }
}
