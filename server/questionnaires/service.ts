import * as audit from '../audit/service';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { Types } from 'mongoose';
import { bankExists } from '../banks/service';
import { BoundedCache } from '../platform/cache';
import { assertBankVisible, isBankRole, type Principal } from '../platform/access';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import type { ScoringItem, SectionKey } from '../rules/scoring';
import { Questionnaire, QuestionnaireVersion } from './model';
import type { CreateQuestionnaireInput, ListQuestionnairesQuery, UpdateQuestionnaireInput } from './schema';
import {
  scoringItem,
  versionView,
  type QuestionnaireSummary,
  type QuestionnaireVersionView,
  type Text,
  type VersionSummary,
} from './views';

export {
  itemIndex,
  scoringItem,
  toScoringSections,
  type IndexedItem,
  type QuestionnaireItem,
  type QuestionnaireOption,
  type QuestionnaireSection,
  type QuestionnaireSummary,
  type QuestionnaireVersionView,
  type Text,
  type VersionSummary,
} from './views';

const iso = (d: unknown): string => (d instanceof Date ? d.toISOString() : new Date(String(d)).toISOString());
const isId = (id: string): boolean => /^[a-f0-9]{24}$/i.test(id);

// ---- for other features (no principal: callers have already checked access to the visit/assignment)

/** The exact content a visit was filled on; throws 404 when it does not exist. */
/**
 * Versions never change once written (an edit makes a new one), so they are kept in memory: every
 * visit write reads its version.
 */
const VERSION_CACHE_LIMIT = 500;
const versionCache = new BoundedCache<string, Readonly<QuestionnaireVersionView>>({ limit: VERSION_CACHE_LIMIT });

export async function getVersion(questionnaireId: string, version: number): Promise<QuestionnaireVersionView> {
  if (!isId(questionnaireId) || !Number.isInteger(version)) throw new NotFoundError('Questionnaire version');
  const key = `${questionnaireId}@${version}`;
  const hit = versionCache.get(key);
  if (hit) return hit;
  const v = await QuestionnaireVersion.findOne({ questionnaireId, version }).lean();
  if (!v) throw new NotFoundError('Questionnaire version');
  const view = Object.freeze(versionView(v));
  versionCache.set(key, view);
  return view;
}

/**
 * Which version is the latest, asked on every visit created. Kept LATEST_TTL_MS: a visit started in
 * another instance within that time of an edit is filled on the version before it (and scored on it
 * consistently, as any visit keeps its version); the instance that made the edit forgets at once.
 */
const LATEST_TTL_MS = 5_000;
const latestCache = new BoundedCache<string, number>({ limit: VERSION_CACHE_LIMIT, ttlMs: LATEST_TTL_MS });

async function latestVersionNumber(questionnaireId: string): Promise<number> {
  const hit = latestCache.get(questionnaireId);
  if (hit !== undefined) return hit;
  const q = await Questionnaire.findById(questionnaireId, { latestVersion: 1 }).lean();
  if (!q) throw new NotFoundError('Questionnaire');
  latestCache.set(questionnaireId, q.latestVersion);
  return q.latestVersion;
}

/** The version a new visit should be filled on. */
export async function getLatest(questionnaireId: string): Promise<QuestionnaireVersionView> {
  if (!isId(questionnaireId)) throw new NotFoundError('Questionnaire');
  const latest = await latestVersionNumber(questionnaireId);
  return { ...(await getVersion(questionnaireId, latest)), latestVersion: latest };
}

/** The questionnaire of a bank that new assignments may use (null if unknown, archived, or another bank's). */
export async function findBankQuestionnaire(
  bankId: string,
  questionnaireId: string,
): Promise<{ id: string; latestVersion: number } | null> {
  if (!isId(questionnaireId) || !isId(bankId)) return null;
  const q = await Questionnaire.findOne({ _id: questionnaireId, bankId, archived: { $ne: true } }).lean();
  return q ? { id: String(q._id), latestVersion: q.latestVersion } : null;
}

// ---- access

/**
 * An auditor sees only the questionnaires their own assignments use. Assignments are a feature above
 * this one (an assignment names its questionnaire), so the top floor tells this feature how to ask
 * them at start-up (server/bootstrap.ts) rather than this feature reading their collection.
 */
export type AuditorQuestionnaireIds = (auditorId: string) => Promise<string[]>;
let assignedQuestionnaireIds: AuditorQuestionnaireIds = () => {
  throw new Error("auditors' questionnaire access is not configured (server/bootstrap.ts)");
};

export function answerAuditorQuestionnairesWith(ids: AuditorQuestionnaireIds): void {
  assignedQuestionnaireIds = ids;
}

function auditorQuestionnaireIds(p: Principal): Promise<string[]> {
  return assignedQuestionnaireIds(p.id);
}

/** Loads a questionnaire the caller may see, else 404 (existence is never revealed). */
async function visibleQuestionnaire(p: Principal, id: string) {
  if (!isId(id)) throw new NotFoundError('Questionnaire');
  const q = await Questionnaire.findById(id).lean();
  if (!q) throw new NotFoundError('Questionnaire');
  assertBankVisible(p, String(q.bankId), 'Questionnaire');
  if (p.role === 'auditor' && !(await auditorQuestionnaireIds(p)).includes(id))
    throw new NotFoundError('Questionnaire');
  return q;
}

// ---- API/page operations

export async function listQuestionnaires(
  p: Principal,
  query: ListQuestionnairesQuery = {},
): Promise<QuestionnaireSummary[]> {
  if (query.bankId) assertBankVisible(p, query.bankId, 'Bank');
  const filter: Record<string, unknown> = {};
  if (query.bankId) filter.bankId = query.bankId;
  if (isBankRole(p.role)) filter.bankId = p.bankId;
  if (p.role === 'auditor') filter._id = { $in: await auditorQuestionnaireIds(p) };
  const rows = await Questionnaire.find(filter).sort({ bankId: 1, name: 1 }).lean();
  return rows.map((q) => ({
    id: String(q._id),
    bankId: String(q.bankId),
    name: q.name,
    latestVersion: q.latestVersion,
    createdAt: iso(q.createdAt),
    updatedAt: iso(q.updatedAt),
  }));
}

export async function getQuestionnaire(p: Principal, id: string): Promise<QuestionnaireVersionView> {
  const q = await visibleQuestionnaire(p, id);
  return { ...(await getVersion(id, q.latestVersion)), latestVersion: q.latestVersion };
}

export async function getQuestionnaireVersion(
  p: Principal,
  id: string,
  version: string | number,
): Promise<QuestionnaireVersionView> {
  const q = await visibleQuestionnaire(p, id);
  const v = Number(version);
  if (!Number.isInteger(v) || v < 1) throw new NotFoundError('Questionnaire version');
  return { ...(await getVersion(id, v)), latestVersion: q.latestVersion };
}

export async function listVersions(p: Principal, id: string): Promise<VersionSummary[]> {
  await visibleQuestionnaire(p, id);
  const rows = await QuestionnaireVersion.find(
    { questionnaireId: id },
    { version: 1, name: 1, sections: 1, createdAt: 1, createdBy: 1 },
  )
    .sort({ version: -1 })
    .lean();
  return rows.map((v) => ({
    version: v.version,
    name: v.name,
    createdAt: iso(v.createdAt),
    items: v.sections.reduce((n, s) => n + s.items.length, 0),
    ...(v.createdBy ? { createdBy: String(v.createdBy) } : {}),
  }));
}

function createdBy(p: Principal): Types.ObjectId | undefined {
  return isId(p.id) ? new Types.ObjectId(p.id) : undefined;
}

/**
 * Version 1 is written before the questionnaire that points at it: if the second insert fails the
 * orphan version is unreachable (every read starts from the questionnaire) and is removed.
 */
export async function createQuestionnaire(
  p: Principal,
  input: CreateQuestionnaireInput,
): Promise<{ id: string; version: number }> {
  if (!(await bankExists(input.bankId))) throw new ValidationError([{ field: 'bankId', message: 'no such bank' }]);
  const id = new Types.ObjectId();
  await QuestionnaireVersion.create({
    questionnaireId: id,
    bankId: input.bankId,
    version: 1,
    name: input.name,
    sections: input.sections,
    createdBy: createdBy(p),
  });
  try {
    await Questionnaire.create({ _id: id, bankId: input.bankId, name: input.name, latestVersion: 1 });
  } catch (e) {
    await QuestionnaireVersion.deleteOne({ questionnaireId: id }).catch(() => undefined);
    throw e;
  }
  await audit.record({
    action: 'questionnaire.published',
    actor: audit.auditActor(p),
    target: { type: 'questionnaire', id: String(id), label: input.name },
    bankId: input.bankId,
    after: { version: 1, name: input.name },
  });
  return { id: String(id), version: 1 };
}

const MAX_ATTEMPTS = 12;

/**
 * An edit never changes a stored version: it inserts max+1. The unique (questionnaireId, version)
 * index makes concurrent edits take distinct numbers (the loser of a race retries with the next
 * one); `latestVersion` only ever moves forward, so a slow writer cannot move it back.
 */
export async function updateQuestionnaire(
  p: Principal,
  id: string,
  input: UpdateQuestionnaireInput,
): Promise<{ id: string; version: number }> {
  const q = await visibleQuestionnaire(p, id);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const top = await QuestionnaireVersion.findOne({ questionnaireId: id }, { version: 1 })
      .sort({ version: -1 })
      .lean();
    const version = Math.max(top?.version ?? 0, q.latestVersion) + 1;
    try {
      await QuestionnaireVersion.create({
        questionnaireId: id,
        bankId: q.bankId,
        version,
        name: input.name,
        sections: input.sections,
        createdBy: createdBy(p),
      });
    } catch (e) {
      if (isDuplicateKey(e)) continue;
      throw e;
    }
    await Questionnaire.updateOne(
      { _id: id, latestVersion: { $lt: version } },
      { $set: { latestVersion: version, name: input.name } },
    );
    latestCache.delete(id);
    await audit.record({
      action: 'questionnaire.published',
      actor: audit.auditActor(p),
      target: { type: 'questionnaire', id, label: input.name },
      bankId: String(q.bankId),
      before: { version: q.latestVersion },
      after: { version, name: input.name },
    });
    return { id, version };
  }
  throw new ConflictError('The questionnaire is being edited by someone else; try again', 'concurrent_edit');
}

// ---- for results (also used by actions)

export interface VersionItems {
  questionnaireId: string;
  version: number;
  /** Items in questionnaire order, with what scoring needs (types, options, bands, conditions) and their wording. */
  sections: { key: SectionKey; items: (ScoringItem & { text: Text; failureText?: Text })[] }[];
}

/**
 * Every questionnaire version of a bank, oldest version number first, with its items' scoring
 * definitions and wording (a missing wording shows the item key).
 */
export async function bankVersionItems(bankId: string): Promise<VersionItems[]> {
  const versions = await QuestionnaireVersion.find({ bankId }, { questionnaireId: 1, version: 1, sections: 1 })
    .sort({ version: 1 })
    .lean();
  return versions.map((v) => ({
    questionnaireId: String(v.questionnaireId),
    version: v.version,
    sections: versionView({ ...v, bankId, name: '' }).sections.map((s) => ({
      key: s.key,
      items: s.items.map((i) => ({
        ...scoringItem(i),
        text: { zh: i.text.zh || i.key, en: i.text.en || i.key },
        ...(i.failureText ? { failureText: i.failureText } : {}),
      })),
    })),
  }));
}

// ---- for publishing (no principal: the quarter close has its own rights)

/** Every version of every questionnaire of the bank, oldest version first (the reports' item catalogue). */
export async function bankVersions(bankId: string): Promise<QuestionnaireVersionView[]> {
  const fields = { questionnaireId: 1, bankId: 1, version: 1, name: 1, sections: 1, createdAt: 1 };
  const versions = await QuestionnaireVersion.find({ bankId }, fields).sort({ version: 1 }).lean();
  return versions.map((v) => versionView(v));
}

/** The current name of each of the bank's questionnaires, by id. */
export async function questionnaireNames(bankId: string): Promise<Map<string, string>> {
  const rows = await Questionnaire.find({ bankId }, { name: 1 }).lean();
  return new Map(rows.map((q) => [String(q._id), q.name]));
}
