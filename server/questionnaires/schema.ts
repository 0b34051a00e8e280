import { z } from 'zod';
import { fields } from '../platform/http/validation';
import { questionnaireProblems } from '../rules/questionnaire-rules';
import { ITEM_TYPES, SECTION_KEYS } from '../rules/scoring';

/**
 * Item keys end up in answers, reports and failure-rate tables; they are never used as document
 * keys, but keeping them to a plain alphabet (no `$`, no spaces) keeps every later use safe.
 */
export const itemKey = z
  .string()
  .trim()
  .min(1)
  .max(60)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only, starting with a letter or digit');

const text = z.string().trim().min(1).max(1000);
const weight = z.number().finite().positive('must be greater than 0').max(1000);
const bilingual = z.object({ zh: text, en: text }).strict();
/** Help and wording that may be given in one language only (the other falls back to it). */
const optionalBilingual = z
  .object({ zh: z.string().trim().max(2000).default(''), en: z.string().trim().max(2000).default('') })
  .strict()
  .refine((t) => Boolean(t.zh || t.en), 'give the text in Chinese, English or both');
const finite = z.number().finite();

/** A unit ("分钟" / "min"): one word for both languages, or one per language. */
const unit = z.union([
  z
    .string()
    .trim()
    .min(1)
    .max(20)
    .transform((u) => ({ zh: u, en: u })),
  z.object({ zh: z.string().trim().min(1).max(20), en: z.string().trim().min(1).max(20) }).strict(),
]);

const option = z
  .object({
    key: itemKey,
    text: bilingual,
    // choice: 0..1 or null (not applicable); multi: -1..1. The ranges are checked with the item's type.
    score: finite.nullable(),
  })
  .strict();
const band = z.object({ max: finite, score: finite }).strict();
const condition = z
  .object({
    item: itemKey,
    in: z.array(z.union([z.string().trim().min(1).max(60), finite])).max(50),
  })
  .strict();

/** Type-specific fields are checked against the type (and each other) by questionnaireProblems below. */
export const itemSchema = z
  .object({
    key: itemKey,
    text: bilingual,
    type: z.enum(ITEM_TYPES),
    weight: weight.default(1),
    critical: z.boolean().default(false),
    allowNA: z.boolean().default(false),
    required: z.boolean().default(true),
    min: finite.optional(),
    max: finite.optional(),
    unit: unit.optional(),
    bands: z.array(band).min(1).max(20).optional(),
    options: z.array(option).max(50).optional(),
    showIf: condition.optional(),
    evidenceOnFail: z.boolean().default(false),
    guidance: optionalBilingual.optional(),
    failureText: optionalBilingual.optional(),
  })
  .strict();

export const sectionSchema = z
  .object({
    key: z.enum(SECTION_KEYS),
    weight: weight.default(25),
    items: z.array(itemSchema).max(200),
  })
  .strict();

type SectionOut = z.output<typeof sectionSchema>;
const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * The questionnaire-wide rules: each of the four sections exactly once, item keys unique, at least
 * one item. They read the raw input (as a preprocess step) so that they are reported together with
 * every field error, not only once the fields are all valid.
 */
function checkSections(raw: unknown, ctx: z.RefinementCtx): unknown {
  if (!Array.isArray(raw)) return raw;
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  const seenSection = new Set<unknown>();
  const seenItem = new Map<string, string>();
  raw.forEach((section, si) => {
    const s = record(section);
    if (seenSection.has(s.key)) issue([si, 'key'], `section "${String(s.key)}" appears more than once`);
    seenSection.add(s.key);
    (Array.isArray(s.items) ? s.items : []).forEach((item, ii) => {
      const key = record(item).key;
      if (typeof key !== 'string' || !key.trim()) return;
      const first = seenItem.get(key.trim());
      if (first) issue([si, 'items', ii, 'key'], `item key "${key.trim()}" is already used (${first})`);
      else seenItem.set(key.trim(), `sections.${si}.items.${ii}`);
    });
  });
  for (const key of SECTION_KEYS) if (!seenSection.has(key)) issue([], `section "${key}" is missing`);
  const items = raw.reduce<number>(
    (n, section) => n + (Array.isArray(record(section).items) ? (record(section).items as unknown[]).length : 0),
    0,
  );
  if (items === 0 && raw.length > 0) issue([], 'a questionnaire needs at least one item');
  return raw;
}

/** Skip logic, options and bands, once every item is valid on its own (paths as sent). */
function checkItems(list: SectionOut[], ctx: z.RefinementCtx): void {
  for (const p of questionnaireProblems(list))
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: p.path, message: p.message });
}

/** Sections come back in the canonical order, whatever order they were sent in. */
export const sectionsSchema = z.preprocess(
  checkSections,
  z
    .array(sectionSchema)
    .max(SECTION_KEYS.length * 2)
    .superRefine(checkItems)
    .transform((list): SectionOut[] => SECTION_KEYS.flatMap((k) => list.filter((s) => s.key === k))),
);

export const createQuestionnaireBody = z
  .object({ bankId: fields.objectId, name: fields.name, sections: sectionsSchema })
  .strict();
export type CreateQuestionnaireInput = z.output<typeof createQuestionnaireBody>;
/** The request body as sent (defaults not yet applied), e.g. for fixtures and the seed. */
export type QuestionnaireRequest = { bankId: string; name: string; sections: z.input<typeof sectionSchema>[] };

export const updateQuestionnaireBody = z.object({ name: fields.name, sections: sectionsSchema }).strict();
export type UpdateQuestionnaireInput = z.output<typeof updateQuestionnaireBody>;

export const listQuestionnairesQuery = z.object({ bankId: fields.objectId.optional() }).strict();
export type ListQuestionnairesQuery = z.output<typeof listQuestionnairesQuery>;
