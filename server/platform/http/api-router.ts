import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { ZodTypeAny, z } from 'zod';
import { requireRole, type Principal, type Role } from '../access';
import { UnauthorizedError } from '../errors';
import { parseBody, parseQuery } from './validation';

export type Access = readonly Role[] | 'public' | 'authenticated';

/** A success answer that is a file (a PDF, an export, evidence) of one of these media types. */
export interface FileResponse {
  files: readonly string[];
}
/** A success answer with no body (204). */
export const NO_CONTENT = 'no-content' as const;
/**
 * What a route answers on success: the zod schema of its JSON body (also the OpenAPI document's and the
 * tests' contract), a file, or nothing. Every route declares one: a route without it does not compile.
 */
export type ResponseShape = ZodTypeAny | FileResponse | typeof NO_CONTENT;
export const files = (...types: string[]): FileResponse => ({ files: types });

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
  /** The operation's name in the OpenAPI document and generated clients (camelCase, unique). */
  operationId: string;
  summary: string;
  /** Longer text for the document, when the summary is not enough. */
  description?: string;
  access: Access;
  /** The success answer (status `status`). */
  response: ResponseShape;
  /**
   * Error statuses this route answers beyond those every route of its kind does (see openapi.ts:
   * 400, 413, 503; 401 unless public; 403 for a role list; 404 with path parameters; 409 and 422
   * for POST; 422 with a body; 415 for uploads), e.g. 404 for an id in the body, 409 for a wrong state.
   */
  errors?: readonly number[];
  /** A list paged by `limit`/`cursor`, the next page in `X-Next-Cursor` and `Link` (paging.ts). */
  paged?: boolean;
  /** Answers 304 to a matching If-None-Match (ETag). */
  conditional?: boolean;
  body?: BS;
  query?: QS;
  /** Middleware that parses a multipart upload into req.file (field `file`). */
  upload?: RequestHandler;
  /** The media type of a raw body the handler streams itself (a part of a resumable upload). */
  rawBody?: string;
  /** Runs before authentication checks and parsing, e.g. a rate limiter. */
  before?: RequestHandler[];
  status?: number;
  /** Content types served besides the JSON response (chosen by Accept), for the OpenAPI document. */
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
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  response: ResponseShape;
  errors: readonly number[];
  paged: boolean;
  conditional: boolean;
  body?: ZodTypeAny;
  query?: ZodTypeAny;
  upload: boolean;
  /** The media type of a raw streamed body (then `upload` is true too). */
  rawBody?: string;
  status: number;
  produces?: string[];
}

/** A group of operations in the document (a feature's routes), with what it is about. */
export interface ApiTag {
  name: string;
  description: string;
}

/** A webhook event the platform sends, documented in the OpenAPI document's `webhooks`. */
export interface WebhookDef {
  /** The event type, e.g. `visit.approved`. */
  name: string;
  operationId: string;
  summary: string;
  tag: string;
  /** The JSON body POSTed to the receiver. */
  body: ZodTypeAny;
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
  readonly tags: ApiTag[] = [];
  readonly webhooks: WebhookDef[] = [];
  constructor(private readonly prefix: string) {}

  /** The routes added through the answer belong to this group of the document (one per feature). */
  tag(name: string, description: string): TaggedRoutes {
    if (!this.tags.some((t) => t.name === name)) this.tags.push({ name, description });
    const group: TaggedRoutes = {
      add: (def) => {
        this.mount(def as unknown as RouteDef<ZodTypeAny | undefined, ZodTypeAny | undefined>, name);
        return group;
      },
    };
    return group;
  }

  /** Documents an event the platform POSTs to webhook receivers (it mounts nothing). */
  webhook(def: WebhookDef): this {
    this.webhooks.push(def);
    return this;
  }

  private mount(d: RouteDef<ZodTypeAny | undefined, ZodTypeAny | undefined>, tag: string): void {
    const chain: RequestHandler[] = [...(d.before ?? [])];
    if (d.upload) chain.push(authGate(d.access), d.upload);
    chain.push(wrap(d) as RequestHandler);
    this.router[d.method](d.path, ...chain);
    this.routes.push({
      method: d.method.toUpperCase(),
      path: this.prefix + d.path,
      operationId: d.operationId,
      summary: d.summary,
      description: d.description,
      tag,
      access: d.access,
      response: d.response,
      errors: d.errors ?? [],
      paged: Boolean(d.paged),
      conditional: Boolean(d.conditional),
      body: d.body,
      query: d.query,
      upload: Boolean(d.upload || d.rawBody),
      rawBody: d.rawBody,
      status: d.status ?? (d.response === NO_CONTENT ? 204 : 200),
      produces: d.produces,
    });
  }
}

export interface TaggedRoutes {
  add<BS extends ZodTypeAny | undefined = undefined, QS extends ZodTypeAny | undefined = undefined>(
    def: RouteDef<BS, QS>,
  ): TaggedRoutes;
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
