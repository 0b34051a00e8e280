import type { QuestionnaireNote, SectionKey } from '../../reports/types';
import { bankVersions, questionnaireNames, scoringItem, type QuestionnaireOption } from '../questionnaires/service';
import type { ItemInfo, ItemLookup } from '../results/aggregate';
import { failureInWords, type WordedItem } from '../rules/answer-words';

type Text = { zh: string; en: string };

/** The questionnaire catalogue of a bank: items (scoring and wording) per version, for the reports. */
export type CatalogueItem = ItemInfo &
  WordedItem & {
    text: Text;
    critical: boolean;
    options?: QuestionnaireOption[];
  };

export interface Catalogue {
  lookup: ItemLookup;
  item: (questionnaireId: string, version: number, itemKey: string) => CatalogueItem | undefined;
  /** Latest wording of an item key across versions (violations and key problems). */
  text: (itemKey: string) => Text;
  /** Latest wording of an item's failure ("Not met: …" unless the item words it itself), for violations. */
  failure: (itemKey: string) => Text;
  name: (questionnaireId: string) => string;
  notes: (used: ReadonlySet<string>) => QuestionnaireNote[];
}

export async function loadCatalogue(bankId: string): Promise<Catalogue> {
  const versions = await bankVersions(bankId);
  const names = await questionnaireNames(bankId);
  const byVersion = new Map<string, Map<string, CatalogueItem>>();
  const texts = new Map<string, Text>();
  const failures = new Map<string, Text>();
  const weights = new Map<string, QuestionnaireNote>();
  for (const v of versions) {
    const key = `${v.id}:${v.version}`;
    const items = new Map<string, CatalogueItem>();
    for (const s of v.sections) {
      for (const i of s.items) {
        const text = { zh: i.text.zh, en: i.text.en };
        // The options with their wording (scoring reads their keys and scores from the same objects).
        const { options: _scored, ...scoring } = scoringItem(i);
        const item: CatalogueItem = {
          ...scoring,
          ...(i.options ? { options: i.options } : {}),
          ...(i.unit ? { unit: i.unit } : {}),
          ...(i.failureText ? { failureText: i.failureText } : {}),
          sectionKey: s.key as SectionKey,
          text,
        };
        items.set(i.key, item);
        texts.set(i.key, text);
        failures.set(i.key, { zh: failureInWords(item, 'zh'), en: failureInWords(item, 'en') });
      }
    }
    byVersion.set(key, items);
    weights.set(key, {
      name: v.name,
      version: v.version,
      sectionWeights: v.sections.map((s) => ({ key: s.key as SectionKey, weight: s.weight })),
      rich: v.sections.some((s) => s.items.some((i) => i.showIf || !['yes_no', 'scale'].includes(i.type))),
    });
  }
  return {
    lookup: (qid, version) => byVersion.get(`${qid}:${version}`),
    item: (qid, version, itemKey) => byVersion.get(`${qid}:${version}`)?.get(itemKey),
    text: (k) => texts.get(k) ?? { zh: k, en: k },
    failure: (k) => failures.get(k) ?? texts.get(k) ?? { zh: k, en: k },
    name: (qid) => names.get(qid) ?? '–',
    notes: (used) => [...used].map((k) => weights.get(k)).filter((n): n is QuestionnaireNote => Boolean(n)),
  };
}
