import path from 'node:path';
import express, { type Router } from 'express';

/**
 * `/api/docs`: the OpenAPI document rendered for people by Swagger UI (swagger-ui-dist), its assets
 * served from node_modules — no CDN. The page only reads `/api/v1/openapi.json`, which is public too.
 */
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js'];

function assetDir(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>API reference · Mystery-shopper audit platform</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
  <link rel="stylesheet" href="/static/api-docs.css">
</head>
<body>
  <header class="api-docs-header">
    <a href="/">Mystery-shopper audit platform</a>
    <span>JSON API v1 · <a href="/api/v1/openapi.json">openapi.json</a></span>
  </header>
  <main id="swagger-ui"><noscript>This reference needs JavaScript; the document itself is at /api/v1/openapi.json.</noscript></main>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
`;

export function apiDocsRouter(production: boolean): Router {
  const r = express.Router();
  const dir = assetDir();
  r.get('/api/docs', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(PAGE);
  });
  for (const name of ASSETS) {
    r.get(`/api/docs/assets/${name}`, (_req, res, next) => {
      res.sendFile(path.join(dir, name), { maxAge: production ? '1d' : 0 }, (err) => err && next(err));
    });
  }
  return r;
}
