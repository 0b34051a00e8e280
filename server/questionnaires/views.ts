import type { Band, ItemType, ScoringItem, ScoringSection, SectionKey } from '../rules/scoring';

/**
 * Questionnaire versions as every reader gets them: stored documents turned into plain views with
 * the defaults applied, and the scoring sections the rules need. Pure (no database).
 */
export type Text = { zh: string; en: string };

export interface QuestionnaireOption {
  key: string;
  text: Text;
  score: number | null;
}

export interface QuestionnaireItem {
  key: string;
  text: Text;
  type: ItemType;
  weight: number;
  critical: boolean;
  allowNA: boolean;
  required: boolean;
  min?: number;
  max?: number;
  unit?: Text;
  bands?: Band[];
  options?: QuestionnaireOption[];
  showIf?: { item: string; in: (string | number)[] };
  evidenceOnFail: boolean;
  guidance?: Text;
  /** How a failure of the item reads in violation lists ("Guaranteed returns were promised"). */
  failureText?: Text;
}
export interface QuestionnaireSection {
  key: SectionKey;
  weight: number;
  items: QuestionnaireItem[];
}

/** One immutable version with its full content; `id` is the questionnaire's id. */
export interface QuestionnaireVersionView {
  id: string;
  bankId: string;
  name: string;
  version: number;
  latestVersion?: number;
  createdAt: string;
  sections: QuestionnaireSection[];
}
export interface QuestionnaireSummary {
  id: string;
  bankId: string;
  name: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
}
export interface VersionSummary {
  version: number;
  name: string;
  items: number;
  createdAt: string;
  createdBy?: string;
}
export interface IndexedItem {
  sectionKey: SectionKey;
  item: QuestionnaireItem;
  text: Text;
}

export type StoredSection = { key?: string | null; weight?: number | null; items?: unknown[] | null };
type StoredText = { zh?: string | null; en?: string | null } | null | undefined;
type StoredItem = {
  key?: string | null;
  text?: StoredText;
  type?: string | null;
  weight?: number | null;
  critical?: boolean | null;
  allowNA?: boolean | null;
  required?: boolean | null;
  min?: number | null;
  max?: number | null;
  unit?: StoredText;
  bands?: { max?: number | null; score?: number | null }[] | null;
  options?: { key?: string | null; text?: StoredText; score?: number | null }[] | null;
  showIf?: { item?: string | null; in?: unknown[] | null } | null;
  evidenceOnFail?: boolean | null;
  guidance?: StoredText;
  failureText?: StoredText;
};

const ITEM_TYPES_KNOWN = new Set<string>(['yes_no', 'scale', 'number', 'choice', 'multi', 'text']);
const iso = (d: unknown): string => (d instanceof Date ? d.toISOString() : new Date(String(d)).toISOString());
const textOf = (t: StoredText): Text => ({ zh: t?.zh ?? '', en: t?.en ?? '' });
const optionalText = (t: StoredText): Text | undefined => (t && (t.zh || t.en) ? textOf(t) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The fields only some types use; absent when not stored, so old versions read exactly as before. */
function typedFields(i: StoredItem): Partial<QuestionnaireItem> {
  const out: Partial<QuestionnaireItem> = {};
  if (num(i.min) !== undefined) out.min = num(i.min);
  if (num(i.max) !== undefined) out.max = num(i.max);
  if (optionalText(i.unit)) out.unit = optionalText(i.unit);
  if (i.bands?.length) out.bands = i.bands.map((b) => ({ max: Number(b.max), score: Number(b.score) }));
  if (i.options?.length)
    out.options = i.options.map((o) => ({ key: String(o.key), text: textOf(o.text), score: num(o.score) ?? null }));
  if (i.showIf?.item)
    out.showIf = {
      item: i.showIf.item,
      in: (i.showIf.in ?? []).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number'),
    };
  if (optionalText(i.guidance)) out.guidance = optionalText(i.guidance);
  if (optionalText(i.failureText)) out.failureText = optionalText(i.failureText);
  return out;
}

/** Defaults are applied on read too, so a version stored before a default existed still scores the same way. */
export function itemView(i: StoredItem): QuestionnaireItem {
  return {
    key: String(i.key),
    text: textOf(i.text),
    // Versions stored before SPEC §10 know yes_no and scale only; anything unknown reads as yes_no as before.
    type: ITEM_TYPES_KNOWN.has(String(i.type)) ? (i.type as ItemType) : 'yes_no',
    weight: i.weight ?? 1,
    critical: i.critical ?? false,
    allowNA: i.allowNA ?? false,
    required: i.required ?? true,
    evidenceOnFail: i.evidenceOnFail ?? false,
    ...typedFields(i),
  };
}

export function sectionView(s: StoredSection): QuestionnaireSection {
  return {
    key: s.key as SectionKey,
    weight: s.weight ?? 25,
    items: (s.items ?? []).map((i) => itemView(i as StoredItem)),
  };
}

export type VersionDoc = {
  questionnaireId: unknown;
  bankId: unknown;
  name: string;
  version: number;
  createdAt?: unknown;
  sections: StoredSection[];
};
export function versionView(v: VersionDoc, latestVersion?: number): QuestionnaireVersionView {
  return {
    id: String(v.questionnaireId),
    bankId: String(v.bankId),
    name: v.name,
    version: v.version,
    ...(latestVersion === undefined ? {} : { latestVersion }),
    createdAt: iso(v.createdAt ?? new Date()),
    sections: v.sections.map(sectionView),
  };
}

/** What the scoring rules read of an item (no wording). */
export function scoringItem(i: QuestionnaireItem): ScoringItem {
  const { key, type, weight, critical, allowNA, required, min, max, bands, options, showIf, evidenceOnFail } = i;
  return {
    key,
    type,
    weight,
    critical,
    allowNA,
    required,
    evidenceOnFail,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    ...(bands ? { bands } : {}),
    ...(options ? { options: options.map((o) => ({ key: o.key, score: o.score })) } : {}),
    ...(showIf ? { showIf } : {}),
  };
}

export function toScoringSections(v: Pick<QuestionnaireVersionView, 'sections'>): ScoringSection[] {
  return v.sections.map((s) => ({ key: s.key, weight: s.weight, items: s.items.map(scoringItem) }));
}

export function itemIndex(v: Pick<QuestionnaireVersionView, 'sections'>): Map<string, IndexedItem> {
  return new Map(
    v.sections.flatMap((s) => s.items.map((item) => [item.key, { sectionKey: s.key, item, text: item.text }] as const)),
  );
}
