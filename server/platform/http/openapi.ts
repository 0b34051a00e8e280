import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z, type AnyZodObject, type ZodTypeAny } from 'zod';
import { component } from './api-schema';
import { NO_CONTENT, type ApiTag, type RegisteredRoute, type ResponseShape, type WebhookDef } from './api-router';

/**
 * The OpenAPI 3.1 document of the JSON API, built from the route table: the same zod schemas that
 * validate requests, the response shapes every route declares, and the error model of API.md.
 */

export const ERROR_SCHEMA = component(
  'Error',
  z
    .object({
      error: z.object({
        code: z.string().openapi({ description: 'Stable snake_case code', example: 'validation_failed' }),
        message: z.string(),
        details: z.array(
          z
            .object({
              field: z.string().optional().openapi({ description: 'The field, as a dotted path (`sections.0.key`)' }),
              row: z.number().int().optional().openapi({ description: 'The row of an imported file' }),
              message: z.string(),
              code: z.string().optional(),
            })
            .catchall(z.unknown())
            .openapi({ description: 'One problem; some carry more (e.g. the visit it concerns)' }),
        ),
      }),
    })
    .openapi({ description: 'Every error of the API: a stable code, a message, and details per field or row' }),
);

/** The error statuses, each a reusable response of the document. */
export const ERRORS: Record<number, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'Malformed request: JSON that does not parse, bad query parameters' },
  401: { name: 'Unauthorized', description: 'No token, an invalid or expired one, or wrong credentials' },
  403: { name: 'Forbidden', description: 'The role may not do this' },
  404: { name: 'NotFound', description: "Not found, or outside the caller's bank or scope (never revealed)" },
  409: { name: 'Conflict', description: 'A duplicate, a wrong state, a stale revision or a reused Idempotency-Key' },
  413: { name: 'PayloadTooLarge', description: 'The body or the file is too large' },
  415: { name: 'UnsupportedMediaType', description: 'The file type (checked by content) is not accepted' },
  422: { name: 'ValidationFailed', description: 'Valid JSON that breaks a rule; `details` names each field' },
  429: { name: 'RateLimited', description: 'Too many attempts; try again later' },
  503: { name: 'ServiceUnavailable', description: 'The database is unreachable or busy; retry after Retry-After' },
};

/** The statuses a route answers: its success, the errors of its kind, and those it declares. */
export function statusesOf(r: RegisteredRoute): number[] {
  const errors = new Set<number>([400, 413, 503, ...r.errors]);
  if (r.access !== 'public') errors.add(401);
  if (Array.isArray(r.access)) errors.add(403);
  if (/:\w+/.test(r.path)) errors.add(404);
  if (r.method === 'POST') [409, 422].forEach((s) => errors.add(s));
  if (r.body || r.upload) errors.add(422);
  if (r.upload) errors.add(415);
  const success = [r.status, ...(r.conditional ? [304] : [])];
  return [...success, ...[...errors].sort((a, b) => a - b)];
}

export const toOpenApiPath = (p: string): string => p.replace(/:(\w+)/g, '{$1}');

function paramsOf(path: string): AnyZodObject | undefined {
  const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  if (names.length === 0) return undefined;
  return z.object(Object.fromEntries(names.map((n) => [n, z.string()])));
}

const PAGE_HEADERS = {
  'X-Next-Cursor': { description: 'The cursor of the next page; absent on the last page', schema: { type: 'string' } },
  Link: { description: 'The next page as `<url>; rel="next"`; absent on the last page', schema: { type: 'string' } },
} as const;

function successResponse(r: RegisteredRoute): RouteConfig['responses'][string] {
  const shape: ResponseShape = r.response;
  if (shape === NO_CONTENT) return { description: 'Done; no content' };
  if ('files' in shape && Array.isArray(shape.files)) {
    return {
      description: 'The file',
      content: Object.fromEntries(shape.files.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
    };
  }
  const content: Record<string, { schema: ZodTypeAny | { type: 'string' } }> = {
    'application/json': { schema: shape as ZodTypeAny },
  };
  for (const t of r.produces ?? []) content[t] = { schema: { type: 'string' } };
  return {
    description: r.status === 201 ? 'Created' : r.status === 202 ? 'Accepted' : 'Success',
    ...(r.paged ? { headers: PAGE_HEADERS } : {}),
    content,
  };
}

function requestOf(r: RegisteredRoute): RouteConfig['request'] {
  const request: NonNullable<RouteConfig['request']> = {};
  const params = paramsOf(r.path);
  if (params) request.params = params;
  if (r.query) request.query = r.query as AnyZodObject;
  if (r.method === 'POST')
    request.headers = z.object({
      'Idempotency-Key': z
        .string()
        .max(200)
        .optional()
        .openapi({ description: 'Repeating a key of the same user returns the first result and creates nothing new' }),
    });
  if (r.body) request.body = { required: true, content: { 'application/json': { schema: r.body } } };
  if (r.rawBody)
    request.body = { required: true, content: { [r.rawBody]: { schema: { type: 'string', format: 'binary' } } } };
  else if (r.upload)
    request.body = {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: { file: { type: 'string', format: 'binary' } },
            required: ['file'],
          },
        },
      },
    };
  return request;
}

function operation(r: RegisteredRoute, errorRefs: Map<number, { $ref: string }>): RouteConfig {
  const responses: RouteConfig['responses'] = { [String(r.status)]: successResponse(r) };
  if (r.conditional) responses['304'] = { description: 'Not modified (the ETag matched If-None-Match)' };
  for (const s of statusesOf(r)) {
    const ref = errorRefs.get(s);
    if (ref) responses[String(s)] = ref;
  }
  const roles =
    r.access === 'public' ? 'anyone' : r.access === 'authenticated' ? 'any signed-in user' : r.access.join(', ');
  return {
    method: r.method.toLowerCase() as RouteConfig['method'],
    path: toOpenApiPath(r.path),
    operationId: r.operationId,
    summary: r.summary,
    description: `${r.description ? `${r.description}\n\n` : ''}Who: ${roles}.`,
    tags: [r.tag],
    security: r.access === 'public' ? [] : [{ bearer: [] }],
    'x-roles': r.access,
    request: requestOf(r),
    responses,
  } as RouteConfig;
}

export interface ApiSurface {
  routes: RegisteredRoute[];
  tags: ApiTag[];
  webhooks: WebhookDef[];
}

export function openApiDocument(api: ApiSurface): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from POST /api/v1/auth/token',
  });
  registry.register('Error', ERROR_SCHEMA);
  const used = new Set(api.routes.flatMap(statusesOf));
  const errorRefs = new Map<number, { $ref: string }>();
  for (const [status, e] of Object.entries(ERRORS)) {
    if (!used.has(Number(status))) continue;
    const { ref } = registry.registerComponent('responses', e.name, {
      description: e.description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      ...(Number(status) === 503
        ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
        : {}),
    });
    errorRefs.set(Number(status), ref);
  }
  for (const r of api.routes) registry.registerPath(operation(r, errorRefs));
  for (const w of api.webhooks)
    registry.registerWebhook({
      method: 'post',
      path: w.name,
      operationId: w.operationId,
      summary: w.summary,
      tags: [w.tag],
      // The receiver checks the webhook-signature header (Standard Webhooks), not a security scheme.
      security: [],
      request: { body: { required: true, content: { 'application/json': { schema: w.body } } } },
      responses: { '200': { description: 'Any 2xx answer acknowledges the event; others are retried' } },
    });
  const generator = new OpenApiGeneratorV31(registry.definitions);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Mystery-shopper audit platform API',
      version: '1.0.0',
      description:
        'The JSON API of the mystery-shopper audit platform. Authenticate with `Authorization: Bearer <token>` ' +
        'from `POST /api/v1/auth/token`. Errors answer `{"error": {"code", "message", "details"}}`; a resource ' +
        "outside the caller's bank or scope is 404. Times are ISO-8601 with offset, quarters `YYYY-Qn`.",
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'This server' }],
    tags: api.tags.map((t) => ({ name: t.name, description: t.description })),
  }) as unknown as Record<string, unknown>;
}
