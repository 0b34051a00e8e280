import { BoundedCache } from '../platform/cache';
import { getVersion, itemIndex, toScoringSections, type QuestionnaireItem } from '../questionnaires/service';
import type { ScoringSection } from '../rules/scoring';

/**
 * A visit's questionnaire version as the feedback loop needs it: the scoring sections (to recompute
 * an overturned visit exactly as it was first scored) and the item wording. Versions never change
 * once stored, so a small cache is safe.
 */
export interface VersionInfo {
  sections: ScoringSection[];
  /** Each item with its wording (options, unit) as well as what scoring reads. */
  items: Map<string, QuestionnaireItem & { sectionKey: ScoringSection['key'] }>;
  texts: Map<string, { zh: string; en: string }>;
}

const cache = new BoundedCache<string, VersionInfo>({ limit: 200 });

export async function versionOf(questionnaireId: string, version: number): Promise<VersionInfo> {
  const key = `${questionnaireId}@${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const v = await getVersion(questionnaireId, version);
  const sections = toScoringSections(v);
  const items = new Map([...itemIndex(v)].map(([k, i]) => [k, { ...i.item, sectionKey: i.sectionKey }] as const));
  const info: VersionInfo = { sections, items, texts: new Map([...itemIndex(v)].map(([k, i]) => [k, i.text])) };
  cache.set(key, info);
  return info;
}
