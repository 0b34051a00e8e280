import { z } from 'zod';
import { toAppError } from '../../platform/http/error-handler';
import { parseBody } from '../../platform/http/validation';
import { toScoringSections } from '../../questionnaires/service';
import { evidenceMissing } from '../../rules/scoring';
import { param } from '../../web/forms';
import type { VisitView } from '../view';
import { localizedFailure, patchOf, saveFields } from './form';
import { jsonRoute, sendJsonError } from './json-route';
import { AUDITOR, loadForPage, type Loaded } from './shared';

/** Autosave: the form's fields as a JSON object of strings, saved exactly like the form's Save. */
const draftBody = z.record(z.string().max(200), z.string().max(6000));

/**
 * Which evidence-on-failure items the saved answers fail, and which of them a file names: the form
 * asks for the photo right under such an item (the rules decide; the script only shows it).
 */
function evidenceState(loaded: Loaded, v: VisitView) {
  const sections = toScoringSections(loaded.version);
  const failing = evidenceMissing(sections, v.answers, new Set()).map((m) => m.itemKey);
  const named = new Set(v.attachments.flatMap((a) => (!a.removedAt && a.itemKey ? [a.itemKey] : [])));
  return { failing, attached: failing.filter((k) => named.has(k)) };
}

export const saveDraftJson = jsonRoute(AUDITOR, async ({ req, res, user, locale }) => {
  const f = parseBody(draftBody, req.body);
  const loaded = await loadForPage(user, param(req, 'visitId'));
  const patch = patchOf(f, loaded);
  try {
    const v = await saveFields(user, loaded, patch);
    res.json({
      id: v.id,
      rev: v.rev,
      status: v.status,
      updatedAt: v.updatedAt,
      answered: v.answers.length,
      cleared: patch.cleared,
      evidence: evidenceState(loaded, v),
    });
  } catch (e) {
    const failed = localizedFailure(e, locale, patch, loaded.version, loaded.bank.timezone);
    if (!failed) throw e;
    sendJsonError(res, toAppError(e), locale, failed.errors.fields);
  }
});
