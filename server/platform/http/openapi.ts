import { zodToJsonSchema } from 'zod-to-json-schema';
import type { ZodTypeAny } from 'zod';
import type { RegisteredRoute } from './api-router';

// zod-to-json-schema's generic types recurse too deeply for the compiler; the runtime is what matters.
const toJsonSchema = zodToJsonSchema as unknown as (
  s: ZodTypeAny,
  o: { target: 'openApi3' },
) => Record<string, unknown>;

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object' } },
      },
    },
  },
};

function toOpenApiPath(p: string): string {
  return p.replace(/:(\w+)/g, '{$1}');
}

function operation(r: RegisteredRoute): Record<string, unknown> {
  const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (r.query) {
    const qs = toJsonSchema(r.query, { target: 'openApi3' }) as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(qs.properties ?? {})) {
      params.push({
        name,
        in: 'query',
        required: Boolean(qs.required?.includes(name)),
        schema: schema as { type: string },
      });
    }
  }
  const op: Record<string, unknown> = {
    summary: r.summary,
    parameters: params,
    security: r.access === 'public' ? [] : [{ bearer: [] }],
    'x-roles': r.access,
    responses: {
      [String(r.status)]: {
        description: 'Success',
        content: Object.fromEntries(['application/json', ...(r.produces ?? [])].map((t) => [t, {}])),
      },
      default: { description: 'Error', content: { 'application/json': { schema: errorSchema } } },
    },
  };
  if (r.body)
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: toJsonSchema(r.body, { target: 'openApi3' }) } },
    };
  if (r.upload) {
    op.requestBody = {
      required: true,
      content: {
        'multipart/form-data': {
          schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] },
        },
      },
    };
  }
  return op;
}

export function openApiDocument(routes: RegisteredRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = toOpenApiPath(r.path);
    paths[p] ??= {};
    paths[p][r.method.toLowerCase()] = operation(r);
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Mystery-shopper audit platform API', version: '1.0.0' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
