import { z } from 'zod';
import { fields } from '../platform/http/validation';
import { answerValue } from '../visits/service';

/** SPEC §12 and API.md "Additions (2026-12)": calibration rounds, answers, reference, leniency. */
export const MIN_AUDITORS = 3;

const answer = z
  .object({
    itemKey: z.string().trim().min(1).max(100),
    value: answerValue,
  })
  .strict();
const answers = z.array(answer).min(1).max(500);

export const createRoundBody = z
  .object({
    questionnaireId: fields.objectId,
    version: z.number().int().min(1),
    title: z.string().trim().min(1).max(200),
    caseText: z.string().trim().min(1).max(20_000),
    auditorIds: z
      .array(fields.objectId)
      .min(MIN_AUDITORS, `at least ${MIN_AUDITORS} auditors`)
      .max(200)
      .refine((ids) => new Set(ids).size === ids.length, 'each auditor once'),
    /** When the answers are expected (shown to the invited auditors); answers are not refused after it. */
    dueAt: fields.isoTime('an ISO-8601 time with offset').optional(),
  })
  .strict();
export type CreateRoundInput = z.infer<typeof createRoundBody>;

export const answersBody = z.object({ answers }).strict();
export type AnswersInput = z.infer<typeof answersBody>;

export const leniencyQuery = z.object({ quarter: fields.quarter }).strict();
