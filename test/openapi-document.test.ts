import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { z } from 'zod';
import { apiDocument } from '../server/api';
import { ApiRouter, NO_CONTENT, files } from '../server/platform/http/api-router';
import { openApiDocument } from '../server/platform/http/openapi';
import { CLIENT_TYPES, generateTypes } from '../scripts/openapi';
import { checkResponse } from './helpers/api-contract';
import { routeTable } from './helpers/world-routes';

/**
 * The OpenAPI document as an integrator's tools see it: Redocly's recommended lint and
 * swagger-parser accept it, the committed typed client is generated from it, every route declares
 * its name and response, and the contract check that holds every test's responses to it works.
 */
jest.setTimeout(120_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-doc-'));
const docFile = path.join(dir, 'openapi.json');
const doc = apiDocument() as {
  paths: Record<string, Record<string, { operationId: string; tags: string[]; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
  webhooks?: Record<string, unknown>;
};
fs.writeFileSync(docFile, JSON.stringify(doc));
const bin = (name: string) => path.join(__dirname, '..', 'node_modules', '.bin', name);

describe('the route table', () => {
  const routes = routeTable();

  test('every route has a unique camelCase operationId, a tag and a declared response', () => {
    const ids = routes.map((r) => r.operationId);
    expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]+$/.test(id))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(routes.filter((r) => !r.tag).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const declared = (r: (typeof routes)[number]) =>
      r.response === NO_CONTENT || r.response instanceof z.ZodType || 'files' in r.response;
    expect(routes.filter((r) => !r.response || !declared(r)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  test('a route added without a response schema is refused by this check (and by the compiler)', () => {
    const api = new ApiRouter('/x');
    // @ts-expect-error response and operationId are required
    api.tag('T', 'test').add({ method: 'get', path: '/y', summary: 'y', access: 'public', handler: async () => 1 });
    expect(api.routes[0].response).toBeUndefined();
  });

  test('every operation documents a success response with content and its errors in the error model', () => {
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        const statuses = Object.keys(op.responses);
        const success = statuses.filter((s) => /^2/.test(s));
        expect({ op: `${m} ${p}`, success: success.length }).toEqual({ op: `${m} ${p}`, success: 1 });
        const body = op.responses[success[0]] as { content?: object };
        if (success[0] !== '204')
          expect({ op: `${m} ${p}`, content: Boolean(body.content) }).toMatchObject({ content: true });
        expect(statuses.filter((s) => /^4/.test(s)).length).toBeGreaterThan(0);
        expect(op.tags).toHaveLength(1);
      }
    }
  });
});

describe('the document, checked by outside validators', () => {
  test('swagger-parser validates it (every $ref resolves from the root)', async () => {
    await expect(SwaggerParser.validate(docFile)).resolves.toBeDefined();
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((r) => !r.startsWith('"$ref":"#/components/'))).toEqual([]);
  });

  test('Redocly CLI lint with the recommended rules finds no error and no warning', () => {
    const run = spawnSync(bin('redocly'), ['lint', docFile, '--extends=recommended', '--format=json'], {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(run.status).toBe(0);
  });

  test('the committed typed client (test/client/api-types.ts) is generated from the current document', () => {
    const fresh = generateTypes(docFile);
    const committed = fs.readFileSync(CLIENT_TYPES, 'utf8');
    if (fresh !== committed) throw new Error('test/client/api-types.ts is stale: run `npm run openapi` and commit it');
    expect(committed).toContain('"/api/v1/visits/{visitId}"');
  });

  test('webhooks, once a feature declares them, appear in the webhooks section', () => {
    const api = new ApiRouter('/api/v1');
    api.webhook({
      name: 'visit.approved',
      operationId: 'visitApproved',
      summary: 'A visit was approved',
      tag: 'Webhooks',
      body: z.object({ type: z.literal('visit.approved'), data: z.object({ visitId: z.string() }) }),
    });
    const withHooks = openApiDocument(api) as { webhooks: Record<string, { post: { operationId: string } }> };
    expect(withHooks.webhooks['visit.approved'].post.operationId).toBe('visitApproved');
  });
});

describe('the contract check that holds every test response to the document', () => {
  const ok = { id: 'a'.repeat(24), code: 'B1', name: 'Bank', timezone: 'Asia/Shanghai', language: 'zh' };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const bankUrl = `/api/v1/banks/${'a'.repeat(24)}`;

  test('accepts a documented answer', () => {
    expect(checkResponse('GET', bankUrl, 200, 'application/json', json({ ...ok, reportRecipients: [] }))).toBeNull();
  });

  test('refuses a missing field, a field the document does not name, a wrong type', () => {
    expect(checkResponse('GET', bankUrl, 200, 'application/json', json(ok))).toMatch(/reportRecipients/);
    expect(
      checkResponse('GET', bankUrl, 200, 'application/json', json({ ...ok, reportRecipients: [], secret: 1 })),
    ).toMatch(/additional properties/);
    expect(checkResponse('GET', bankUrl, 200, 'application/json', json({ ...ok, reportRecipients: 'x' }))).toMatch(
      /must be array/,
    );
  });

  test('refuses an undocumented status, content type or error shape, and a body where none is documented', () => {
    expect(checkResponse('GET', '/api/v1/banks', 409, 'application/json', json({}))).toMatch(/not documented/);
    expect(checkResponse('GET', bankUrl, 200, 'text/html', Buffer.from('<p>'))).toMatch(/content type/);
    expect(checkResponse('GET', bankUrl, 404, 'application/json', json({ message: 'x' }))).toMatch(/schema/);
    expect(checkResponse('DELETE', '/api/v1/auth/token', 204, '', Buffer.from('x'))).toMatch(/without a body/);
    expect(checkResponse('GET', '/api/v1/nowhere', 200, 'application/json', json({}))).toMatch(/not 404/);
  });

  test('files are held to their documented media types', () => {
    const file = (t: string) =>
      checkResponse('GET', `/api/v1/reports/${'a'.repeat(24)}/files/bank`, 200, t, Buffer.from('%PDF-'));
    expect(file('application/pdf')).toBeNull();
    expect(file('image/png')).toMatch(/content type/);
    expect(files('a/b')).toEqual({ files: ['a/b'] });
  });
});
