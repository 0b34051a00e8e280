import type { Router } from 'express';
import { z } from 'zod';
import { requireFile } from '../platform/http/uploads';
import { sendDownload } from '../platform/http/download';
import { fields, parseBody, parseQuery } from '../platform/http/validation';
import { attempt, emptyForm, formBody, param, runUpload } from '../web/forms';
import { flash, page, render } from '../web/render';
import { addDisputeAttachment, disputeEvidenceUpload, openDisputeAttachment, type DisputeUpload } from './evidence';
import { DISPUTE_STATUSES } from './model';
import { createDisputeAction, newDisputePage } from './pages-new';
import { showDispute } from './pages-show';
import { answerValue } from './pages-value';
import { resolveDisputeBody } from './schema';
import * as disputes from './service';
import { versionOf } from './versions';
import { itemLabel } from './words';

/** Dispute pages: the list, opening a dispute on a visit (bank manager), one dispute with the reviewer's decision. */
export function registerDisputePages(r: Router): void {
  r.get('/disputes', listPage);
  r.get('/disputes/new', newDisputePage);
  r.post('/disputes/new', createDisputeAction);
  r.get('/disputes/:disputeId', showPage);
  r.post('/disputes/:disputeId/resolve', resolveAction);
  r.post('/disputes/:disputeId/attachments', uploadAction);
  r.get('/disputes/:disputeId/attachments/:attachmentId', fileAction);
}

const listQuery = z.object({
  quarter: fields.quarter.optional(),
  status: z.enum(DISPUTE_STATUSES).optional(),
  bankId: fields.objectId.optional(),
});

const listPage = page(disputes.READERS, async (ctx) => {
  const q = parseQuery(listQuery, ctx.req.query);
  const rows = await disputes.listDisputes(ctx.user, q);
  render(ctx.req, ctx.res, 'pages/disputes/list', {
    title: ctx.t('disputes.title'),
    q,
    statuses: DISPUTE_STATUSES.map((s) => ({
      value: s,
      label: ctx.t(`disputes.status.${s}`),
      selected: s === q.status,
    })),
    firm: ctx.user.role !== 'bank_manager',
    rows: rows.map((d) => ({
      ...d,
      itemLabel: itemLabel(ctx.locale, d.itemText),
      statusLabel: ctx.t(`disputes.status.${d.status}`),
      open: d.status === 'open',
      decision: d.resolution ? ctx.t(`disputes.status.${d.resolution.decision}`) : '',
    })),
  });
});

const showPage = page(disputes.READERS, (ctx) => showDispute(ctx, emptyForm()));

const resolveAction = page(disputes.RESOLVER, async (ctx) => {
  const id = param(ctx.req, 'disputeId');
  const f = formBody(ctx.req);
  const d = await disputes.getDispute(ctx.user, id);
  const item = (await versionOf(d.questionnaireId, d.questionnaireVersion)).items.get(d.itemKey);
  const value = answerValue(item, f);
  const input = { decision: f.decision ?? '', note: f.note ?? '', ...(value === undefined ? {} : { value }) };
  await attempt(
    ctx.locale,
    { fields: { decision: 'decision', value: 'value', note: 'note' }, input, values: f, messages: 'feedback.err' },
    async () => {
      const d = await disputes.resolveDispute(ctx.user, id, parseBody(resolveDisputeBody, input));
      flash(ctx.req, 'ok', ctx.t('disputes.flash.resolved', { decision: ctx.t(`disputes.status.${d.status}`) }));
      ctx.res.redirect(303, `/disputes/${id}`);
    },
    (state, status) => showDispute(ctx, state, status),
  );
});

const uploadAction = page(disputes.OPENER, async (ctx) => {
  const id = param(ctx.req, 'disputeId');
  await attempt(
    ctx.locale,
    { fields: {}, input: {}, values: {}, messages: 'feedback.err' },
    async () => {
      await runUpload(disputeEvidenceUpload(), ctx.req, ctx.res);
      const file = await addDisputeAttachment(ctx.user, id, (requireFile(ctx.req) as DisputeUpload).evidence);
      flash(ctx.req, 'ok', ctx.t('disputes.flash.attached', { name: file.filename }));
      ctx.res.redirect(303, `/disputes/${id}`);
    },
    (state, status) => showDispute(ctx, state, status),
  );
});

/** The bank's evidence file, for whoever may see the dispute (shown inline on the dispute page). */
const fileAction = page(disputes.READERS, async (ctx) => {
  await sendDownload(
    ctx.res,
    await openDisputeAttachment(ctx.user, param(ctx.req, 'disputeId'), param(ctx.req, 'attachmentId')),
  );
});
