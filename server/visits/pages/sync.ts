import { translate } from '../../platform/i18n';
import { param } from '../../web/forms';
import { getVisit, submitVisit } from '../service';
import { jsonRoute } from './json-route';
import { AUDITOR } from './shared';

/**
 * What the phone's send queue (public/offline-queue.js) needs beside the form's own routes: the
 * visit's state as the platform has it now (to explain a conflict: returned by the reviewer, submitted
 * elsewhere), and submitting as JSON, so a submission typed offline is sent in turn after the answers
 * and files queued before it. Both run behind the session's CSRF header; the submit honours the
 * Idempotency-Key like every write of the queue (server/visits/pages.ts).
 */
export const visitStateJson = jsonRoute(AUDITOR, async ({ req, res, user, locale }) => {
  const v = await getVisit(user, param(req, 'visitId'));
  res.set('Cache-Control', 'no-store').json({
    id: v.id,
    rev: v.rev,
    status: v.status,
    statusLabel: translate(locale, `visits.status.${v.status}`),
    reviewNote: v.reviewNote,
    updatedAt: v.updatedAt,
  });
});

/** Missing answers or evidence are answered 422 with the items in `details` (jsonRoute's error shape). */
export const submitJson = jsonRoute(AUDITOR, async ({ req, res, user }) => {
  const v = await submitVisit(user, param(req, 'visitId'));
  res.json({ id: v.id, rev: v.rev, status: v.status });
});
