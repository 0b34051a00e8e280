import type { Router } from 'express';
import { bankTimezone, listBanks } from '../banks/service';
import { parseBody } from '../platform/http/validation';
import { getQuestionnaire, listQuestionnaires } from '../questionnaires/service';
import { listUsers } from '../users/service';
import { localInputToIso } from '../web/local-time';
import type { EvidenceUpload } from '../evidence/upload';
import { toAppError } from '../platform/http/error-handler';
import { requireFile } from '../platform/http/uploads';
import { attempt, emptyForm, formBody, param, runUpload, type FormBody, type FormState } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { createRoundBody } from './schema';
import * as cal from './service';

/**
 * The admin's form for a calibration round (SPEC §12): the questionnaire version, the written case,
 * the auditors (at least three) and the date the answers are expected. It builds the API's body and
 * calls the same service as `POST /api/v1/calibrations`; each refusal is shown under its field in
 * the page's language.
 */
export function registerNewRoundPage(r: Router): void {
  r.get('/calibration/new', newRoundPage);
  r.post('/calibration/new', createAction);
  r.post('/calibration/:calibrationId/attachments', uploadAction);
}

/** The case's evidence (recordings, photos) from the round page: the same upload and service as the API. */
const uploadAction = page(cal.ROUND_MANAGERS, async (ctx) => {
  const id = param(ctx.req, 'calibrationId');
  try {
    await runUpload(cal.roundEvidenceUpload(), ctx.req, ctx.res);
    const a = await cal.addRoundAttachment(ctx.user, id, (requireFile(ctx.req) as EvidenceUpload).evidence);
    flash(ctx.req, 'ok', ctx.t('calibration.evidence.added', { name: a.filename }));
  } catch (e) {
    const err = toAppError(e);
    if (err.status >= 500 || err.status === 404 || err.status === 403) throw e;
    flash(ctx.req, 'error', ctx.t('calibration.evidence.refused', { status: String(err.status) }));
  }
  ctx.res.redirect(303, `/calibration/${encodeURIComponent(id)}#case-evidence`);
});

const AUDITOR_FIELD = 'auditor.';
/** Error paths of the API body → the form field that shows them. */
const FIELDS = {
  questionnaireId: 'questionnaire',
  version: 'questionnaire',
  title: 'title',
  caseText: 'caseText',
  auditorIds: 'auditors',
  dueAt: 'dueDate',
};

async function choices(ctx: PageContext) {
  const [questionnaires, banks, auditors] = await Promise.all([
    listQuestionnaires(ctx.user),
    listBanks(ctx.user),
    listUsers({ role: 'auditor' }),
  ]);
  const bankOf = new Map(banks.map((b) => [b.id, b]));
  return {
    questionnaires: questionnaires.flatMap((q) =>
      Array.from({ length: q.latestVersion }, (_, i) => q.latestVersion - i).map((version) => ({
        value: `${q.id}:${version}`,
        label: `${bankOf.get(q.bankId)?.code ?? ''} · ${q.name} · v${version}`,
        bankId: q.bankId,
      })),
    ),
    auditors: auditors
      .filter((u) => u.active)
      .map((u) => ({ id: u.id, label: `${u.auditorCode ?? ''} · ${u.name}`, email: u.email })),
  };
}

async function show(ctx: PageContext, form: FormState, status = 200): Promise<void> {
  const c = await choices(ctx);
  const v = form.values as FormBody;
  render(
    ctx.req,
    ctx.res,
    'pages/calibration/new',
    {
      title: ctx.t('calibration.new.title'),
      form,
      questionnaires: c.questionnaires.map((q) => ({ ...q, selected: q.value === v.questionnaire })),
      auditors: c.auditors.map((a) => ({ ...a, checked: v[`${AUDITOR_FIELD}${a.id}`] !== undefined })),
      minAuditors: 3,
    },
    status,
  );
}

const newRoundPage = page(cal.ROUND_MANAGERS, async (ctx) => {
  await show(ctx, emptyForm());
});

/** The API body from the posted fields; the due date is the end of that day in the questionnaire bank's zone. */
async function bodyOf(p: PageContext['user'], f: FormBody): Promise<Record<string, unknown>> {
  const [questionnaireId, version] = (f.questionnaire ?? '').split(':');
  const body: Record<string, unknown> = {
    questionnaireId: questionnaireId ?? '',
    version: /^\d{1,6}$/.test(version ?? '') ? Number(version) : 0,
    title: f.title ?? '',
    caseText: f.caseText ?? '',
    auditorIds: Object.keys(f)
      .filter((k) => k.startsWith(AUDITOR_FIELD))
      .map((k) => k.slice(AUDITOR_FIELD.length)),
  };
  const day = (f.dueDate ?? '').trim();
  if (day) {
    const zone = /^[a-f0-9]{24}$/i.test(questionnaireId ?? '')
      ? await bankZoneOfQuestionnaire(p, questionnaireId)
      : null;
    body.dueAt = /^\d{4}-\d\d-\d\d$/.test(day)
      ? (localInputToIso(`${day}T23:59`, zone ?? 'Asia/Shanghai') ?? day)
      : day;
  }
  return body;
}

/** The zone of the questionnaire's bank; null for a questionnaire the caller cannot see (the service says so). */
async function bankZoneOfQuestionnaire(p: PageContext['user'], questionnaireId: string): Promise<string | null> {
  const q = await getQuestionnaire(p, questionnaireId).catch(() => null);
  return q ? bankTimezone(q.bankId) : null;
}

const createAction = page(cal.ROUND_MANAGERS, async (ctx) => {
  const f = formBody(ctx.req);
  const input = await bodyOf(ctx.user, f);
  await attempt(
    ctx.locale,
    { fields: FIELDS, input, values: f, messages: 'calibration.new.err' },
    async () => {
      const r = await cal.createRound(ctx.user, parseBody(createRoundBody, input));
      flash(ctx.req, 'ok', ctx.t('calibration.new.created', { title: String(input.title) }));
      ctx.res.redirect(303, `/calibration/${r.id}`);
    },
    // Each refused field says, in the page's language, what it needs.
    (state, status) => {
      const errors = Object.fromEntries(
        Object.keys(state.errors).map((k) => [k, ctx.t(`calibration.new.err.${k}`)] as const),
      );
      return show(ctx, { ...state, errors }, status);
    },
  );
});
