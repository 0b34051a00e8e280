import type { Router } from 'express';
import { z } from 'zod';
import { sendDownload } from '../platform/http/download';
import { fields, parseBody, parseQuery } from '../platform/http/validation';
import { bankTimezone } from '../banks/service';
import { now } from '../platform/clock';
import { config } from '../platform/config';
import { quarterOf, shiftQuarter } from '../rules/quarters';
import { showTime } from '../web/local-time';
import { formatScore } from '../rules/scoring';
import { attempt, formBody, param } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { answersBody, type AnswersInput } from './schema';
import * as cal from './service';
import { answerSections, emptyAnswers, postedAnswers, refusedState, type AnswerFormState } from './answer-form';
import { registerNewRoundPage } from './new-round-page';

/**
 * Calibration pages (SPEC §12): auditors answer an invited round on the phone (the visit form's
 * item controls of every type with its conditions, ./answer-form.ts; no visit is made); reviewers and admins see each round's
 * alpha, agreement and bias, set the reference (reviewers), and follow field leniency per auditor
 * over the last quarters.
 */
export function registerCalibrationPages(r: Router): void {
  // Before '/calibration/:calibrationId', which would take "new" for an id.
  registerNewRoundPage(r);
  r.get('/calibration', indexPage);
  r.get('/calibration/:calibrationId', roundPage);
  r.post('/calibration/:calibrationId/answers', answerAction);
  r.post('/calibration/:calibrationId/reference', referenceAction);
  r.get('/calibration/:calibrationId/attachments/:attachmentId', attachmentDownload);
}

const attachmentDownload = page(cal.ROUND_VIEWERS, async (ctx) => {
  const file = await cal.openRoundAttachment(ctx.user, param(ctx.req, 'calibrationId'), param(ctx.req, 'attachmentId'));
  await sendDownload(ctx.res, file);
});

const QUARTERS_SHOWN = 4;

/** "Answers expected by 2026-12-20 23:59 (Asia/Shanghai)", marked overdue while the caller's answer is outstanding. */
async function dueView(ctx: PageContext, r: cal.RoundView) {
  if (!r.dueAt) return null;
  const timezone = (await bankTimezone(r.bankId)) ?? 'Asia/Shanghai';
  return {
    text: ctx.t('calibration.due', { due: showTime(r.dueAt, timezone), timezone }),
    overdue: Date.parse(r.dueAt) < now().getTime() && r.answered === false,
  };
}
const indexQuery = z.object({ quarter: fields.quarter.optional() });

const fixed = (v: number | null | undefined, digits = 2) => (typeof v === 'number' ? v.toFixed(digits) : '–');
/** Bias is in item-score units (0–1); shown as points out of 100 like every score. */
const points = (v: number | null | undefined) =>
  typeof v === 'number' ? `${v > 0 ? '+' : ''}${formatScore(v * 100)}` : '–';
const percent = (v: number | null | undefined) => (typeof v === 'number' ? `${formatScore(v * 100)}%` : '–');

async function leniencyOverTime(ctx: PageContext, last: string) {
  const quarters = Array.from({ length: QUARTERS_SHOWN }, (_, i) => shiftQuarter(last, i - QUARTERS_SHOWN + 1));
  const perQuarter = await Promise.all(quarters.map((q) => cal.auditorLeniency(ctx.user, q)));
  const auditors = new Map<string, string>();
  perQuarter.flat().forEach((l) => auditors.set(l.auditorId, l.auditorCode || l.auditorId));
  return {
    quarters,
    rows: [...auditors].map(([id, code]) => ({
      code,
      cells: perQuarter.map((list) => {
        const l = list.find((x) => x.auditorId === id);
        return l
          ? { value: l.leniency === null ? '–' : points(l.leniency / 100), visits: l.visits, flagged: l.flagged }
          : null;
      }),
      flagged: perQuarter.some((list) => list.some((x) => x.auditorId === id && x.flagged)),
    })),
  };
}

const indexPage = page(cal.ROUND_VIEWERS, async (ctx) => {
  const q = parseQuery(indexQuery, ctx.req.query);
  const rounds = await cal.listRounds(ctx.user);
  if (ctx.user.role === 'auditor') {
    const withDue = await Promise.all(rounds.map(async (r) => ({ ...r, due: await dueView(ctx, r) })));
    render(ctx.req, ctx.res, 'pages/calibration/index', {
      title: ctx.t('calibration.title'),
      auditor: true,
      rounds: withDue,
    });
    return;
  }
  const withAlpha = await Promise.all(
    rounds.slice(0, 50).map(async (r) => {
      const res = await cal.roundResults(ctx.user, r.id);
      return {
        ...r,
        alpha: fixed(res.alpha, 3),
        answered: res.answered,
        invited: res.invited,
        low: (res.alpha ?? 1) < 0.667,
        due: await dueView(ctx, r),
      };
    }),
  );
  render(ctx.req, ctx.res, 'pages/calibration/index', {
    title: ctx.t('calibration.title'),
    rounds: withAlpha,
    canCreate: cal.ROUND_MANAGERS.includes(ctx.user.role),
    leniency: await leniencyOverTime(ctx, q.quarter ?? quarterOf(new Date())),
  });
});

interface RoundFormState {
  answers: AnswerFormState & { missingTexts?: string[] };
  general: string[];
}

async function showRound(ctx: PageContext, id: string, form?: RoundFormState, status = 200) {
  const round = await cal.getRound(ctx.user, id);
  const version = await cal.roundQuestionnaire(ctx.user, id);
  const reference = new Map((round.reference ?? []).map((a) => [a.itemKey, a.value]));
  const state = form?.answers ?? emptyAnswers(ctx.user.role === 'reviewer' ? reference : new Map());
  const canAnswer = ctx.user.role === 'auditor' && !round.answered;
  const canSetReference = ctx.user.role === 'reviewer';
  const results = ctx.user.role === 'auditor' ? null : await cal.roundResults(ctx.user, id);
  const texts = new Map(version.sections.flatMap((s) => s.items.map((i) => [i.key, i.text] as const)));
  render(
    ctx.req,
    ctx.res,
    'pages/calibration/round',
    {
      title: round.title,
      round,
      due: await dueView(ctx, round),
      canAttach: cal.ROUND_MANAGERS.includes(ctx.user.role),
      maxMb: Math.floor(config().UPLOAD_MAX_BYTES / (1024 * 1024)),
      canAnswer,
      canSetReference,
      form: { general: form?.general ?? [] },
      missing: form?.answers.missingTexts ?? [],
      sections: canAnswer || canSetReference ? answerSections(version, ctx, state) : [],
      results: results && {
        alpha: fixed(results.alpha, 3),
        answered: results.answered,
        invited: results.invited,
        items: results.items.map((i) => ({
          ...i,
          text: ctx.locale === 'en' ? (texts.get(i.itemKey)?.en ?? i.itemKey) : (texts.get(i.itemKey)?.zh ?? i.itemKey),
          agreement: percent(i.agreement),
        })),
        auditors: results.auditors.map((a) => ({
          code: a.auditorCode || a.auditorId,
          bias: points(a.bias),
          reference: a.referenceAgreement === undefined ? null : percent(a.referenceAgreement),
        })),
        hasReference: Boolean(round.reference),
      },
    },
    status,
  );
}

const roundPage = page(cal.ROUND_VIEWERS, async (ctx) => {
  await showRound(ctx, param(ctx.req, 'calibrationId'));
});

function formAction(
  roles: typeof cal.ANSWERERS,
  run: (p: PageContext['user'], id: string, input: AnswersInput) => Promise<unknown>,
  done: string,
) {
  return page(roles, async (ctx) => {
    const id = param(ctx.req, 'calibrationId');
    const version = await cal.roundQuestionnaire(ctx.user, id);
    const { answers, fields } = postedAnswers(formBody(ctx.req), version);
    await attempt(
      ctx.locale,
      { fields, input: { answers }, values: {}, messages: 'calibration.err' },
      async () => {
        await run(ctx.user, id, parseBody(answersBody, { answers }));
        flash(ctx.req, 'ok', ctx.t(done));
        ctx.res.redirect(303, `/calibration/${encodeURIComponent(id)}`);
      },
      (state, status) =>
        showRound(
          ctx,
          id,
          { answers: refusedState(version, ctx, answers, state.errors), general: state.general },
          status,
        ),
    );
  });
}

const answerAction = formAction(cal.ANSWERERS, cal.submitAnswers, 'calibration.flash.answered');
const referenceAction = formAction(cal.REFERENCE_SETTERS, cal.setReference, 'calibration.flash.reference');
