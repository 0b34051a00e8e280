import { Types } from 'mongoose';
import { requireRole, type Principal } from '../platform/access';
import { unlessDuplicate } from '../platform/db/duplicate-key';
import { now } from '../platform/clock';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { getVersion, itemIndex, toScoringSections, type QuestionnaireVersionView } from '../questionnaires/service';
import { roundFigures, type CoderSheet } from '../rules/calibration';
import { answerErrors } from '../rules/answers';
import { itemScore, missingRequired, type AnswerValue } from '../rules/scoring';
import { activeAuditorsAmong, auditorCodesOf } from '../users/service';
import { CalibrationRound, CalibrationSheet } from './model';
import {
  ANSWERERS,
  REFERENCE_SETTERS,
  ROUND_MANAGERS,
  ROUND_READERS,
  ROUND_VIEWERS,
  sheetKey,
  visibleRound,
  type LeanRound,
} from './rounds';
import type { AnswersInput, CreateRoundInput } from './schema';

export { ANSWERERS, REFERENCE_SETTERS, ROUND_MANAGERS, ROUND_READERS, ROUND_VIEWERS, visibleRound } from './rounds';

/**
 * Calibration rounds (SPEC §12): an admin gives at least three auditors the same written case on one
 * questionnaire version; each scores it once, on the phone form, without it becoming a visit; a
 * reviewer may set reference answers; admins and reviewers read alpha, agreement per item and bias
 * per auditor. Nothing here touches visits or results. Auditors see only rounds they are invited to,
 * and never another auditor's sheet.
 */

type Answer = { itemKey: string; value: AnswerValue };

export interface RoundView {
  id: string;
  bankId: string;
  questionnaireId: string;
  version: number;
  title: string;
  caseText: string;
  /** When the answers are expected (ISO), null without a date. */
  dueAt: string | null;
  createdAt: string;
  /** Admins and reviewers: who was invited (pseudonyms) and who has answered. */
  auditors?: { auditorId: string; auditorCode: string; answered: boolean }[];
  reference?: Answer[] | null;
  /** An auditor: whether they have answered. */
  answered?: boolean;
  /** The case's evidence files. */
  attachments: { id: string; filename: string; contentType: string; size: number; sha256: string }[];
}

async function answeredBy(roundId: string): Promise<Set<string>> {
  const sheets = await CalibrationSheet.find({ roundId }, { auditorId: 1 }).lean();
  return new Set(sheets.map((s) => String(s.auditorId)));
}

async function roundView(p: Principal, r: LeanRound): Promise<RoundView> {
  const base: RoundView = {
    id: String(r._id),
    bankId: String(r.bankId),
    questionnaireId: String(r.questionnaireId),
    version: r.version,
    title: r.title,
    caseText: r.caseText,
    dueAt: r.dueAt ? new Date(r.dueAt).toISOString() : null,
    createdAt: r.createdAt.toISOString(),
    attachments: (r.attachments ?? []).map((a) => ({
      id: String(a._id),
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      sha256: a.sha256,
    })),
  };
  const done = await answeredBy(String(r._id));
  if (p.role === 'auditor') return { ...base, answered: done.has(p.id) };
  const ids = r.auditorIds.map(String);
  const codes = await auditorCodesOf(ids);
  return {
    ...base,
    auditors: ids.map((a) => ({ auditorId: a, auditorCode: codes.get(a) ?? '', answered: done.has(a) })),
    reference: r.reference ?? null,
  };
}

async function versionOrFail(questionnaireId: string, version: number): Promise<QuestionnaireVersionView> {
  try {
    return await getVersion(questionnaireId, version);
  } catch (e) {
    if (e instanceof NotFoundError)
      throw new ValidationError([{ field: 'version', message: 'no such questionnaire version' }]);
    throw e;
  }
}

export async function createRound(p: Principal, input: CreateRoundInput): Promise<{ id: string }> {
  requireRole(p, ROUND_MANAGERS);
  const v = await versionOrFail(input.questionnaireId, input.version);
  const auditors = await activeAuditorsAmong(input.auditorIds);
  const errors = input.auditorIds.flatMap((id, i) =>
    auditors.has(id) ? [] : [{ field: `auditorIds.${i}`, message: 'not an active auditor' }],
  );
  if (input.dueAt && Date.parse(input.dueAt) <= now().getTime())
    errors.push({ field: 'dueAt', message: 'must be in the future' });
  if (errors.length) throw new ValidationError(errors);
  const r = await CalibrationRound.create({ ...input, bankId: v.bankId, createdBy: p.id });
  return { id: String(r._id) };
}

export async function listRounds(p: Principal): Promise<RoundView[]> {
  requireRole(p, ROUND_VIEWERS);
  const filter = p.role === 'auditor' ? { auditorIds: new Types.ObjectId(p.id) } : {};
  const rounds = (await CalibrationRound.find(filter).sort({ createdAt: -1 }).limit(500).lean()) as LeanRound[];
  return Promise.all(rounds.map((r) => roundView(p, r)));
}

export async function getRound(p: Principal, id: string): Promise<RoundView> {
  return roundView(p, await visibleRound(p, id));
}

/** The questionnaire version a round is scored on (for the form). */
export async function roundQuestionnaire(p: Principal, id: string): Promise<QuestionnaireVersionView> {
  const r = await visibleRound(p, id);
  return getVersion(String(r.questionnaireId), r.version);
}

/** Answers checked against the round's version like a visit's: known items, right values, all required ones. */
async function checkedAnswers(r: LeanRound, input: AnswersInput): Promise<Answer[]> {
  const sections = toScoringSections(await getVersion(String(r.questionnaireId), r.version));
  const errors = answerErrors(sections, input.answers);
  const answers = input.answers as Answer[];
  for (const m of missingRequired(sections, answers))
    errors.push({ field: 'answers', message: `"${m.itemKey}" is required` });
  if (errors.length) throw new ValidationError(errors);
  return answers;
}

/** An invited auditor's sheet, once (a second one is 409). */
export async function submitAnswers(p: Principal, id: string, input: AnswersInput): Promise<{ id: string }> {
  requireRole(p, ANSWERERS);
  const r = await visibleRound(p, id);
  const answers = await checkedAnswers(r, input);
  return unlessDuplicate(
    async () => {
      const s = await CalibrationSheet.create({
        roundId: r._id,
        auditorId: p.id,
        answers,
        sheetKey: sheetKey(String(r._id), p.id),
      });
      return { id: String(s._id) };
    },
    () => {
      throw new ConflictError('You have already answered this calibration round', 'already_answered');
    },
  );
}

export async function setReference(p: Principal, id: string, input: AnswersInput): Promise<RoundView> {
  requireRole(p, REFERENCE_SETTERS);
  const r = await visibleRound(p, id);
  const sections = toScoringSections(await getVersion(String(r.questionnaireId), r.version));
  const errors = answerErrors(sections, input.answers);
  if (errors.length) throw new ValidationError(errors);
  await CalibrationRound.updateOne(
    { _id: r._id },
    { $set: { reference: input.answers, referenceSetBy: p.id, referenceSetAt: new Date() } },
  );
  return getRound(p, id);
}

export interface RoundResults {
  alpha: number | null;
  items: { itemKey: string; agreement: number | null; answers: number; text: { zh: string; en: string } }[];
  auditors: { auditorId: string; auditorCode: string; bias: number | null; referenceAgreement?: number | null }[];
  answered: number;
  invited: number;
}

/** SPEC §12 per round: alpha (interval) over item scores, agreement per item, bias per auditor. */
export async function roundResults(p: Principal, id: string): Promise<RoundResults> {
  requireRole(p, ROUND_READERS);
  return figuresOf(await visibleRound(p, id));
}

/**
 * What a bank may see of the firm's calibration (SPEC §12: at most a round's alpha, in the reports'
 * method notes): the alpha of the latest round that at least two auditors answered, or null.
 */
export async function latestRoundAlpha(): Promise<number | null> {
  const rounds = (await CalibrationRound.find({}).sort({ createdAt: -1 }).limit(10).lean()) as LeanRound[];
  for (const r of rounds) {
    const f = await figuresOf(r);
    if (f.answered >= 2 && f.alpha !== null) return f.alpha;
  }
  return null;
}

async function figuresOf(r: LeanRound): Promise<RoundResults> {
  const v = await getVersion(String(r.questionnaireId), r.version);
  const items = itemIndex(v);
  const sheets = (await CalibrationSheet.find({ roundId: r._id }).sort({ createdAt: 1 }).lean()).map(
    (s): CoderSheet => ({
      auditorId: String(s.auditorId),
      answers: new Map(
        (s.answers as Answer[]).map((a) => {
          const item = items.get(a.itemKey)?.item;
          return [a.itemKey, { value: a.value, score: item ? itemScore(item, a.value) : null }];
        }),
      ),
    }),
  );
  const keys = [...items.keys()];
  const reference = r.reference ? new Map(r.reference.map((a) => [a.itemKey, a.value as unknown])) : null;
  const f = roundFigures(sheets, keys, reference);
  const codes = await auditorCodesOf(sheets.map((s) => s.auditorId));
  return {
    alpha: f.alpha,
    items: f.items.map((i) => ({ ...i, text: items.get(i.itemKey)?.text ?? { zh: i.itemKey, en: i.itemKey } })),
    auditors: f.auditors.map((a) => ({ ...a, auditorCode: codes.get(a.auditorId) ?? '' })),
    answered: sheets.length,
    invited: r.auditorIds.length,
  };
}

export { auditorLeniency, type AuditorLeniency } from './leniency';
export { addRoundAttachment, holdsEvidenceFile, openRoundAttachment, roundEvidenceUpload } from './evidence';
