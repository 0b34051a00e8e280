import crypto from 'node:crypto';
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { resolvePrincipal } from './auth/middleware';
import { config } from './platform/config';
import { csrfProtection } from './platform/http/csrf';
import { errorHandler } from './platform/http/error-handler';
import { NotFoundError } from './platform/errors';
import { ApiRouter } from './platform/http/api-router';
import { idempotency } from './platform/db/idempotency';
import { loggableRequest, logger } from './platform/logger';
import { MongooseSessionStore } from './platform/db/session-store';
import { setupViews } from './platform/http/views';
import { pingDb } from './platform/db/connection';
import { requestContext } from './platform/request-context';
import { registerApi } from './api';
import { webRouter } from './pages';
import { openApiDocument } from './platform/http/openapi';
import { apiDocsRouter } from './platform/http/api-docs';
import { offlineAssets } from './platform/http/offline-assets';
import { saveSessionBeforeRedirect } from './platform/http/session-redirect';

export const SESSION_COOKIE = 'msa.sid';

export function createApp(): Express {
  const cfg = config();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', cfg.TRUST_PROXY);
  app.set('query parser', 'simple');
  setupViews(app);

  app.use((req, res, next) => {
    req.requestId = req.get('x-request-id')?.slice(0, 64) || crypto.randomUUID();
    res.set('X-Request-Id', req.requestId);
    next();
  });
  // Who asks from where, for the audit log (services read it without taking req).
  app.use(requestContext);
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => (req as express.Request).requestId ?? crypto.randomUUID(),
      autoLogging: cfg.LOG_LEVEL !== 'silent',
      serializers: { req: loggableRequest },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'default-src': ["'self'"],
          'img-src': ["'self'", 'data:', 'blob:'],
          'style-src': ["'self'"],
          'script-src': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
        },
      },
      strictTransportSecurity: cfg.SECURE_COOKIES,
    }),
  );
  app.use(cookieParser());

  app.get('/healthz', (_req, res, next) => {
    pingDb()
      .then((ok) => res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', db: ok ? 'ok' : 'down' }))
      .catch(next);
  });
  // Browsers ask for /favicon.ico whatever the page names; the icon is an SVG.
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/static/favicon.svg'));
  app.use(offlineAssets());
  app.use(
    '/static',
    express.static(path.join(cfg.projectRoot, 'public'), { maxAge: cfg.NODE_ENV === 'production' ? '1d' : 0 }),
  );

  app.use('/api/v1', apiRouter());
  app.use(apiDocsRouter(cfg.NODE_ENV === 'production'));
  app.use('/api', (req, _res, next) => next(new NotFoundError('Route')));

  app.use(express.urlencoded({ extended: false, limit: cfg.JSON_BODY_LIMIT, parameterLimit: 500 }));
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: cfg.sessionSecret,
      store: new MongooseSessionStore(cfg.SESSION_TTL_HOURS * 3600_000),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: cfg.SECURE_COOKIES, maxAge: cfg.SESSION_TTL_HOURS * 3600_000 },
    }),
  );
  app.use(saveSessionBeforeRedirect);
  app.use(resolvePrincipal);
  app.use(csrfProtection);
  app.use(webRouter());
  app.use((req, _res, next) => next(new NotFoundError('Page')));
  app.use(errorHandler);
  return app;
}

function apiRouter(): express.Router {
  const cfg = config();
  const router = express.Router();
  router.use(
    express.json({ limit: cfg.JSON_BODY_LIMIT, strict: false, type: ['application/json', 'application/*+json'] }),
  );
  router.use(resolvePrincipal);
  router.use(idempotency);
  const api = new ApiRouter('/api/v1');
  registerApi(api);
  // Built once, on first request: the route table does not change while the process runs.
  let document: Record<string, unknown> | undefined;
  router.get('/openapi.json', (_req, res) => {
    document ??= openApiDocument(api);
    res.json(document);
  });
  router.use(api.router);
  return router;
}
