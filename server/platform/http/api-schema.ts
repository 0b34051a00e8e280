import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z, type ZodTypeAny } from 'zod';
import { SECTION_KEYS } from '../../rules/scoring';

// Lets a zod schema carry its OpenAPI name (`.openapi('Visit')`); done once, here, before any is named.
extendZodWithOpenApi(z);

/**
 * Names a response shape: the OpenAPI document lists it once under `components.schemas.<name>` and
 * refers to it with a `$ref` wherever it is used, and generated clients get a type of that name.
 * Response shapes live in each feature's `responses.ts` (see docs/architecture.md).
 */
export function component<T extends ZodTypeAny>(name: string, schema: T, description?: string): T {
  return schema.openapi(name, description ? { description } : {});
}

/** Shared pieces of response shapes, so that an id or a time reads the same in every answer. */
export const out = {
  id: z.string().openapi({ description: 'A 24-character hex id', example: '66f0c2a4e1b2c3d4e5f60718' }),
  time: z.string().datetime({ offset: true }),
  quarter: z.string().openapi({ example: '2026-Q3', pattern: '^\\d{4}-Q[1-4]$' }),
  /** An unrounded score in 0..100, or null where SPEC §3 defines none. */
  score: z.number().nullable(),
  /**
   * An answer's value as stored (SPEC §3, §10): yes/no/na, a scale value 1..5 or a number, an option
   * key of a choice or a text, the option keys of a multiple choice.
   */
  answerValue: z
    .union([z.string(), z.number(), z.array(z.string())])
    .openapi({ description: 'yes/no/na; 1..5 or a number; an option key or a text; option keys of a multiple choice' }),
  /** A text in both languages of the product. */
  text: z.object({ zh: z.string(), en: z.string() }),
};

/** Evidence files are served as stored, their type checked by content on upload (evidence/sniff.ts). */
export const EVIDENCE_TYPES = ['image/*', 'audio/*', 'application/pdf'];

/** The four section scores of SPEC §2, each unrounded or null. */
export const sectionScores = component(
  'SectionScores',
  z.object(
    Object.fromEntries(SECTION_KEYS.map((k) => [k, out.score])) as Record<
      (typeof SECTION_KEYS)[number],
      typeof out.score
    >,
  ),
  'Section scores (0..100, unrounded; null where the section had no applicable item)',
);

/** The answer of an import (branches, staff, assignments): all rows or none. */
export const importResult = component(
  'ImportResult',
  z.object({
    created: z.number().int(),
    updated: z.number().int(),
    errors: z.array(z.object({ row: z.number().int(), message: z.string() })),
    rejected: z.boolean().openapi({ description: 'True when the file had errors and nothing was written' }),
  }),
);

/** A stored evidence file as the API describes it after an upload. */
export const uploadedFile = component(
  'UploadedFile',
  z.object({ id: out.id, filename: z.string(), contentType: z.string(), size: z.number().int(), sha256: z.string() }),
);
