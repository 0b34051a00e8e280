import { Types } from 'mongoose';
import { Questionnaire, QuestionnaireVersion } from '../questionnaires/model';
import type { ScoringSection, SectionKey } from '../scoring/score';

/**
 * Reads questionnaire versions straight from the model for the visit workflow, with the documented
 * defaults applied (item weight 1, section weight 25, required true, critical/allowNA false), so that
 * scoring never depends on how a version document happened to be written. Versions are immutable,
 * which makes caching them safe.
 */
export interface VersionForScoring {
  questionnaireId: string;
  bankId: string;
  version: number;
  sections: ScoringSection[];
}

const cache = new Map<string, VersionForScoring>();
const CACHE_LIMIT = 200;

type RawItem = { key: string; type: string; weight?: number | null; critical?: boolean | null; allowNA?: boolean | null; required?: boolean | null };
type RawSection = { key: string; weight?: number | null; items?: RawItem[] | null };

function toScoringSections(sections: RawSection[]): ScoringSection[] {
  return sections.map((s) => ({
    key: s.key as SectionKey,
    weight: s.weight ?? 25,
    items: (s.items ?? []).map((i) => ({
      key: i.key,
      type: i.type === 'scale' ? 'scale' : 'yes_no',
      weight: i.weight ?? 1,
      critical: i.critical ?? false,
      allowNA: i.allowNA ?? false,
      required: i.required ?? true,
    })),
  }));
}

export async function loadVersion(questionnaireId: string, version: number): Promise<VersionForScoring | null> {
  const cacheKey = `${questionnaireId}@${version}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  if (!Types.ObjectId.isValid(questionnaireId)) return null;
  const doc = await QuestionnaireVersion.findOne({ questionnaireId, version }).lean();
  if (!doc) return null;
  const v: VersionForScoring = { questionnaireId, bankId: String(doc.bankId), version, sections: toScoringSections(doc.sections as RawSection[]) };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(cacheKey, v);
  return v;
}

/** The questionnaire of a bank (null if it is unknown, archived, or belongs to another bank). */
export async function findBankQuestionnaire(bankId: string, questionnaireId: string): Promise<{ id: string; latestVersion: number } | null> {
  if (!Types.ObjectId.isValid(questionnaireId) || !Types.ObjectId.isValid(bankId)) return null;
  const q = await Questionnaire.findOne({ _id: questionnaireId, bankId, archived: { $ne: true } }).lean();
  return q ? { id: String(q._id), latestVersion: q.latestVersion } : null;
}

/** The newest stored version, which a new visit is filled on (read from the versions, not the counter). */
export async function loadLatestVersion(questionnaireId: string): Promise<VersionForScoring | null> {
  if (!Types.ObjectId.isValid(questionnaireId)) return null;
  const latest = await QuestionnaireVersion.findOne({ questionnaireId }, { version: 1 }).sort({ version: -1 }).lean();
  return latest ? loadVersion(questionnaireId, latest.version) : null;
}
