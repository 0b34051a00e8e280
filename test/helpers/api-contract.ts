import type { IncomingMessage, ServerResponse } from 'node:http';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express from 'express';
import { registerApi } from '../../server/api';
import { ApiRouter, type RegisteredRoute } from '../../server/platform/http/api-router';
import { openApiDocument } from '../../server/platform/http/openapi';

/**
 * Every API response a test provokes is checked against the OpenAPI document: its status must be
 * one the operation documents, and its body must match the documented schema (ajv), with objects
 * closed (a field the document does not name is a failure, so the document cannot fall behind the
 * code). per-file.ts installs the check on every Express app of the test file and fails the test
 * (afterEach) or the file (afterAll) that saw a violation.
 */

type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, Response> };
};
type Response = { $ref?: string; content?: Record<string, { schema?: unknown }> };
type Operation = { operationId: string; responses: Record<string, Response> };

interface Contract {
  doc: Doc;
  routes: { route: RegisteredRoute; pattern: RegExp }[];
  ajv: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

let contract: Contract | undefined;
const violations: string[] = [];

/** Objects in the document stay open for clients; for the check every object names all its fields. */
export function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'example' ? v : closeObjects(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

function load(): Contract {
  if (contract) return contract;
  const api = new ApiRouter('/api/v1');
  registerApi(api);
  const doc = openApiDocument(api) as unknown as Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi', components: closeObjects(doc.components) });
  const routes = api.routes.map((route) => ({
    route,
    pattern: new RegExp(`^${route.path.replace(/[.]/g, '\\.').replace(/:\w+/g, '[^/]+')}$`),
  }));
  contract = { doc, routes, ajv, validators: new Map() };
  return contract;
}

/** Refs point into the document; the schema is compiled against it so that `#/components/...` resolves. */
function validatorFor(c: Contract, key: string, schema: unknown): ValidateFunction {
  let v = c.validators.get(key);
  if (!v) {
    const rewritten = JSON.parse(
      JSON.stringify(closeObjects(schema)).replace(/"#\/components\//g, '"openapi#/components/'),
    ) as object;
    v = c.ajv.compile(rewritten);
    c.validators.set(key, v);
  }
  return v;
}

function resolve(c: Contract, r: Response): Response {
  const ref = r.$ref?.replace('#/components/responses/', '');
  return ref ? c.doc.components.responses[ref] : r;
}

const mediaMatches = (actual: string, documented: string) => {
  if (documented === actual) return true;
  if (documented.endsWith('/*')) return actual.startsWith(documented.slice(0, -1));
  return false;
};

/** Checks one finished response; returns what is wrong with it, or null. */
export function checkResponse(method: string, url: string, status: number, type: string, body: Buffer): string | null {
  const c = load();
  const path = url.split('?')[0];
  const match = c.routes.find((r) => r.route.method === method && r.pattern.test(path));
  const what = `${method} ${path} → ${status}`;
  let documented: Response | undefined;
  let key: string;
  if (!match) {
    // No such route: the API's 404 in the error model.
    if (status !== 404) return `${what}: no route matches, yet the answer is not 404`;
    documented = c.doc.components.responses.NotFound;
    key = 'no-route';
  } else {
    const op = c.doc.paths[match.route.path.replace(/:(\w+)/g, '{$1}')][method.toLowerCase()];
    const r = op.responses[String(status)];
    if (!r) return `${what}: status ${status} is not documented for ${op.operationId}`;
    documented = resolve(c, r);
    key = `${op.operationId} ${status}`;
  }
  const media = type.split(';')[0].trim().toLowerCase();
  const content = documented.content ?? {};
  if (Object.keys(content).length === 0) {
    return body.length === 0 ? null : `${what}: documented without a body, yet ${body.length} bytes came`;
  }
  const documentedType = Object.keys(content).find((t) => mediaMatches(media, t));
  if (!documentedType) return `${what}: content type "${media}" is not documented (${Object.keys(content).join(', ')})`;
  if (documentedType !== 'application/json') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return `${what}: the body is not JSON`;
  }
  const validate = validatorFor(c, `${key} ${documentedType}`, content[documentedType].schema);
  if (validate(parsed)) return null;
  const errors = (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  return `${what}: the body does not match the documented schema: ${errors.join('; ')}`;
}

const CHECKED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Captures the body of an API response and checks it once it is sent. */
function watch(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  const method = req.method ?? 'GET';
  if (!url.startsWith('/api/v1/') || url.startsWith('/api/v1/openapi.json')) return;
  if (!CHECKED_METHODS.has(method) || (res as { contractWatched?: boolean }).contractWatched) return;
  (res as { contractWatched?: boolean }).contractWatched = true;
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const enc = typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8';
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, enc));
  };
  const write = res.write.bind(res) as (...a: unknown[]) => boolean;
  const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
  (res as { write: unknown }).write = (...a: unknown[]) => {
    keep(a[0], a[1]);
    return write(...a);
  };
  (res as { end: unknown }).end = (...a: unknown[]) => {
    keep(a[0], a[1]);
    return end(...a);
  };
  res.once('finish', () => {
    const type = String(res.getHeader('content-type') ?? '');
    const problem = checkResponse(method, url, res.statusCode, type, Buffer.concat(chunks));
    if (problem) violations.push(problem);
  });
}

let installed = false;
/** Every Express app created from now on checks its API responses. */
export function installContractCheck(): void {
  if (installed) return;
  installed = true;
  type Handle = (req: IncomingMessage, res: ServerResponse, ...rest: unknown[]) => unknown;
  const app = express.application as unknown as { handle: Handle };
  const handle = app.handle;
  app.handle = function (this: { locals?: { skipApiContract?: boolean } }, req, res, ...rest) {
    // A test may build a small app of its own with made-up routes: it says so with this flag.
    if (!this.locals?.skipApiContract) watch(req, res);
    return handle.call(this, req, res, ...rest);
  };
}

/** The violations seen since the last call. */
export function takeContractViolations(): string[] {
  return violations.splice(0);
}
