import type { Request, RequestHandler, Response } from 'express';
import type { EvidenceUpload } from '../../evidence/upload';
import type { Principal } from '../../platform/access';
import { streamFile } from '../../platform/http/download';
import { toAppError } from '../../platform/http/error-handler';
import { requireFile } from '../../platform/http/uploads';
import { param, runUpload } from '../../web/forms';
import { flash, page } from '../../web/render';
import { addAttachment, getVisit, openAttachment, removeAttachment, visitEvidenceUpload } from '../service';
import { jsonRoute } from './json-route';
import { attachmentLink, AUDITOR, INLINE_IMAGES, labelOr } from './shared';

/** Evidence on the visit pages: upload (with progress from the script, or a plain form), remove, the file itself. */

/** One file per request. The script asks for JSON (and shows progress); a plain form gets the page back. */
export const uploadPage: RequestHandler = (req, res, next) => {
  if (req.accepts(['html', 'json']) === 'json') return uploadJson(req, res, next);
  return uploadForm(req, res, next);
};

async function attachUploaded(ctx: { req: Request; res: Response; user: Principal }) {
  const id = param(ctx.req, 'visitId');
  await runUpload(visitEvidenceUpload(), ctx.req, ctx.res);
  const itemKey = (ctx.req.body as Record<string, unknown> | undefined)?.itemKey;
  const a = await addAttachment(ctx.user, id, (requireFile(ctx.req) as EvidenceUpload).evidence, itemKey);
  return attachmentLink(id, a);
}

const uploadJson = jsonRoute(AUDITOR, async (ctx) => {
  const attached = await attachUploaded(ctx);
  // The form's next save must carry the revision the upload produced.
  const { rev } = await getVisit(ctx.user, param(ctx.req, 'visitId'));
  ctx.res.status(201).json({ ...attached, rev });
});

const uploadForm = page(AUDITOR, async (ctx) => {
  const id = param(ctx.req, 'visitId');
  try {
    await attachUploaded(ctx);
    flash(ctx.req, 'ok', ctx.t('visits.evidence.uploaded'));
  } catch (e) {
    const err = toAppError(e);
    if (err.status >= 500 || err.status === 404 || err.status === 403) throw e;
    flash(
      ctx.req,
      'error',
      ctx.t('visits.evidence.failed', { message: labelOr(ctx.t, `visits.err.${err.code}`, err.message) }),
    );
  }
  ctx.res.redirect(303, `/visits/${id}/edit#evidence`);
});

export const removeAttachmentPage = page(AUDITOR, async (ctx) => {
  const id = param(ctx.req, 'visitId');
  await removeAttachment(ctx.user, id, param(ctx.req, 'attachmentId'));
  flash(ctx.req, 'ok', ctx.t('visits.evidence.removed_flash'));
  ctx.res.redirect(303, `/visits/${id}/edit#evidence`);
});

/** The file itself, for everyone who may see the visit; images inline (thumbnails), anything else as a download. */
export const attachmentFile = page('authenticated', async (ctx) => {
  const file = await openAttachment(ctx.user, param(ctx.req, 'visitId'), param(ctx.req, 'attachmentId'));
  ctx.res.attachment(file.filename);
  if (INLINE_IMAGES.has(file.contentType))
    ctx.res.set('Content-Disposition', String(ctx.res.get('Content-Disposition')).replace(/^attachment/, 'inline'));
  ctx.res.set({
    'Content-Type': file.contentType,
    // Unknown for a bank user's image, whose metadata is removed on the way (then sent chunked).
    ...(file.size === undefined ? {} : { 'Content-Length': String(file.size) }),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, no-store',
  });
  await streamFile(ctx.res, file.stream);
});
