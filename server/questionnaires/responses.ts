import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';
import { sectionSchema } from './schema';

export const questionnaireCreated = component(
  'QuestionnaireVersionRef',
  z.object({ id: out.id, version: z.number().int() }),
  'The questionnaire and the version just saved',
);

export const questionnaireSummary = component(
  'QuestionnaireSummary',
  z.object({
    id: out.id,
    bankId: out.id,
    name: z.string(),
    latestVersion: z.number().int(),
    createdAt: out.time,
    updatedAt: out.time,
  }),
);

/** A version as stored, its items with every default applied (the same item rules as the request). */
export const questionnaireVersion = component(
  'QuestionnaireVersion',
  z.object({
    id: out.id,
    bankId: out.id,
    name: z.string(),
    version: z.number().int(),
    latestVersion: z.number().int().optional(),
    createdAt: out.time,
    sections: z.array(sectionSchema),
  }),
);

export const versionSummary = component(
  'QuestionnaireVersionSummary',
  z.object({
    version: z.number().int(),
    name: z.string(),
    items: z.number().int(),
    createdAt: out.time,
    createdBy: out.id.optional(),
  }),
);
