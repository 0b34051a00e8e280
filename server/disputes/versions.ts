import { BoundedCache } from '../platform/cache';
import { getVersion, itemIndex, toScoringSections } from '../questionnaires/service';
import type { ScoringItem, ScoringSection } from '../rules/scoring';

/**
 * A visit's questionnaire version as the feedback loop needs it: the scoring sections (to recompute
 * an overturned visit exactly as it was first scored) and the item wording. Versions never change
 * once stored, so a small cache is safe.
 */
export interface VersionInfo {
  sections: ScoringSection[];
  items: Map<string, ScoringItem & { sectionKey: ScoringSection['key'] }>;
  texts: Map<string, { zh: string; en: string }>;
}

const cache = new BoundedCache<string, VersionInfo>({ limit: 200 });

export async function versionOf(questionnaireId: string, version: number): Promise<VersionInfo> {
  const key = `${questionnaireId}@${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const v = await getVersion(questionnaireId, version);
  const sections = toScoringSections(v);
  const items = new Map(sections.flatMap((s) => s.items.map((i) => [i.key, { ...i, sectionKey: s.key }] as const)));
  const info: VersionInfo = { sections, items, texts: new Map([...itemIndex(v)].map(([k, i]) => [k, i.text])) };
  cache.set(key, info);
  return info;
}
