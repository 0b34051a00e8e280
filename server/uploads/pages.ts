import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { requireRole, type Principal } from '../platform/access';
import { config } from '../platform/config';
import { UnauthorizedError } from '../platform/errors';
import { toAppError } from '../platform/http/error-handler';
import { parseBody, parseQuery } from '../platform/http/validation';
import { pickLocale, translate } from '../platform/i18n';
import { param } from '../web/forms';
import { requirePartBody, withPartBody } from './http';
import { chunkQuery, createUploadBody } from './schema';
import * as uploads from './service';
import { attachmentLink, getVisit } from '../visits/service';

/**
 * The same resumable uploads for the visit form's script (public/resumable-upload.js): the web
 * session and its CSRF header instead of a bearer token, the API's JSON answers, errors in the
 * page's language where the dictionary has words for them.
 */
type Handler = (user: Principal, visitId: string, req: Request) => Promise<unknown>;

function json(status: number, handler: Handler): RequestHandler {
  return (req: Request, res: Response) => {
    (async () => {
      if (!req.principal) throw new UnauthorizedError();
      requireRole(req.principal, ['auditor']);
      const body = await handler(req.principal, param(req, 'visitId'), req);
      if (status === 204) res.status(204).end();
      else res.status(status).json(body);
    })().catch((e: unknown) => {
      const err = toAppError(e);
      const key = `uploads.err.${err.code}`;
      const words = translate(pickLocale(req), key);
      res
        .status(err.status)
        .json({ error: { code: err.code, message: words === key ? err.message : words, details: err.details } });
    });
  };
}

/**
 * A finished file as the visit form's web route for files answers it: listed as the visit pages do
 * (a link, inline when an image) with the revision the visit has now, which the form's next save
 * (or its offline queue) must carry.
 */
async function linked(user: Principal, visitId: string, a: Parameters<typeof attachmentLink>[1]) {
  const { rev } = await getVisit(user, visitId);
  return { ...attachmentLink(visitId, a), rev };
}

const create = json(201, async (user, visitId, req) => {
  const up = await uploads.createUpload(
    user,
    visitId,
    parseBody(createUploadBody, req.body),
    req.get('idempotency-key') || undefined,
  );
  return up.attachment ? { ...up, attachment: await linked(user, visitId, up.attachment) } : up;
});
const state = json(200, (user, visitId, req) => uploads.getUpload(user, visitId, param(req, 'uploadId')));
const part = json(200, (user, visitId, req) =>
  withPartBody(req, () =>
    uploads.appendPart(user, visitId, param(req, 'uploadId'), {
      offset: parseQuery(chunkQuery, req.query).offset,
      ...requirePartBody(req),
      body: req,
    }),
  ),
);
const complete = json(201, async (user, visitId, req) =>
  linked(user, visitId, await uploads.completeUpload(user, visitId, param(req, 'uploadId'))),
);

const cancel = json(204, (user, visitId, req) => uploads.cancelUpload(user, visitId, param(req, 'uploadId')));

export function registerUploadPages(r: Router): void {
  r.post('/visits/:visitId/uploads', express.json({ limit: config().JSON_BODY_LIMIT }), create);
  r.get('/visits/:visitId/uploads/:uploadId', state);
  r.patch('/visits/:visitId/uploads/:uploadId', part);
  r.post('/visits/:visitId/uploads/:uploadId/complete', complete);
  r.delete('/visits/:visitId/uploads/:uploadId', cancel);
}
