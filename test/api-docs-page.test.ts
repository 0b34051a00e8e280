import type { Express } from 'express';
import request from 'supertest';
import { startTestApp, stopTestApp } from './helpers/app';

/** /api/docs: Swagger UI on the API's own document, every file served by the app itself (no CDN). */
let app: Express;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(stopTestApp);

test('the page loads only local scripts and styles, under the app CSP, and needs no sign-in', async () => {
  const res = await request(app).get('/api/docs');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
  const refs = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  expect(refs.filter((r) => /^(https?:)?\/\//.test(r))).toEqual([]);
  expect(res.text).not.toMatch(/<script>(?!<)/); // no inline script
  for (const asset of refs.filter((r) => /\.(js|css|svg)$/.test(r))) {
    const a = await request(app).get(asset);
    expect({ asset, status: a.status }).toEqual({ asset, status: 200 });
  }
  const bundle = await request(app).get('/api/docs/assets/swagger-ui-bundle.js');
  expect(bundle.headers['content-type']).toMatch(/javascript/);
  expect(bundle.text.length).toBeGreaterThan(100_000);
  const init = await request(app).get('/static/api-docs.js');
  expect(init.text).toContain("url: '/api/v1/openapi.json'");
});

test('only the renderer files are served from node_modules, and every page has a favicon', async () => {
  expect((await request(app).get('/api/docs/assets/package.json')).status).toBe(404);
  expect((await request(app).get('/api/docs/assets/../package.json')).status).toBe(404);
  const ico = await request(app).get('/favicon.ico');
  expect(ico.status).toBe(301);
  expect(ico.headers.location).toBe('/static/favicon.svg');
  const svg = await request(app).get('/static/favicon.svg');
  expect(svg.status).toBe(200);
  expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
  const login = await request(app).get('/login');
  expect(login.text).toContain('<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">');
});
