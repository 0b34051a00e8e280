import { z } from 'zod';
import { toAppError } from '../../platform/http/error-handler';
import { parseBody } from '../../platform/http/validation';
import { param } from '../../web/forms';
import { localizedFailure, patchOf, saveFields } from './form';
import { jsonRoute, sendJsonError } from './json-route';
import { AUDITOR, loadForPage } from './shared';

/** Autosave: the form's fields as a JSON object of strings, saved exactly like the form's Save. */
const draftBody = z.record(z.string().max(200), z.string().max(6000));

export const saveDraftJson = jsonRoute(AUDITOR, async ({ req, res, user, locale }) => {
  const f = parseBody(draftBody, req.body);
  const loaded = await loadForPage(user, param(req, 'visitId'));
  const patch = patchOf(f, loaded);
  try {
    const v = await saveFields(user, loaded, patch);
    res.json({ id: v.id, rev: v.rev, status: v.status, updatedAt: v.updatedAt, answered: v.answers.length });
  } catch (e) {
    const failed = localizedFailure(e, locale, patch, loaded.bank.timezone);
    if (!failed) throw e;
    sendJsonError(res, toAppError(e), locale, failed.errors.fields);
  }
});
