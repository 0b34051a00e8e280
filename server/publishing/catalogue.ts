import type { QuestionnaireNote, SectionKey } from '../../reports/types';
import { bankVersions, questionnaireNames } from '../questionnaires/service';
import type { ItemInfo, ItemLookup } from '../results/aggregate';

/** The questionnaire catalogue of a bank: item texts and types per version, for the reports. */
export interface CatalogueItem extends ItemInfo {
  text: { zh: string; en: string };
  critical: boolean;
}

export interface Catalogue {
  lookup: ItemLookup;
  item: (questionnaireId: string, version: number, itemKey: string) => CatalogueItem | undefined;
  /** Latest wording of an item key across versions (violations and key problems). */
  text: (itemKey: string) => { zh: string; en: string };
  name: (questionnaireId: string) => string;
  notes: (used: ReadonlySet<string>) => QuestionnaireNote[];
}

export async function loadCatalogue(bankId: string): Promise<Catalogue> {
  const versions = await bankVersions(bankId);
  const names = await questionnaireNames(bankId);
  const byVersion = new Map<string, Map<string, CatalogueItem>>();
  const texts = new Map<string, { zh: string; en: string }>();
  const weights = new Map<string, QuestionnaireNote>();
  for (const v of versions) {
    const key = `${v.id}:${v.version}`;
    const items = new Map<string, CatalogueItem>();
    for (const s of v.sections) {
      for (const i of s.items) {
        const text = { zh: i.text.zh, en: i.text.en };
        items.set(i.key, { type: i.type, sectionKey: s.key as SectionKey, text, critical: i.critical });
        texts.set(i.key, text);
      }
    }
    byVersion.set(key, items);
    weights.set(key, {
      name: v.name,
      version: v.version,
      sectionWeights: v.sections.map((s) => ({ key: s.key as SectionKey, weight: s.weight })),
    });
  }
  return {
    lookup: (qid, version) => byVersion.get(`${qid}:${version}`),
    item: (qid, version, itemKey) => byVersion.get(`${qid}:${version}`)?.get(itemKey),
    text: (k) => texts.get(k) ?? { zh: k, en: k },
    name: (qid) => names.get(qid) ?? '–',
    notes: (used) => [...used].map((k) => weights.get(k)).filter((n): n is QuestionnaireNote => Boolean(n)),
  };
}
