import { z } from 'zod';
import { component, out, uploadedFile } from '../platform/http/api-schema';

const answer = z.object({ itemKey: z.string(), value: out.answerValue });

export const createdRoundResponse = component('CreatedCalibrationRound', z.object({ id: out.id }));
export const submittedAnswersResponse = component('SubmittedCalibrationAnswers', z.object({ id: out.id }));

export const roundResponse = component(
  'CalibrationRound',
  z.object({
    id: out.id,
    bankId: out.id,
    questionnaireId: out.id,
    version: z.number().int(),
    title: z.string(),
    caseText: z.string(),
    dueAt: out.time.nullable().openapi({ description: 'When the answers are expected; null without a date' }),
    createdAt: out.time,
    auditors: z
      .array(z.object({ auditorId: out.id, auditorCode: z.string(), answered: z.boolean() }))
      .optional()
      .openapi({ description: 'Admins and reviewers only: who was invited (pseudonyms) and who has answered' }),
    reference: z.array(answer).nullable().optional(),
    answered: z.boolean().optional().openapi({ description: 'An auditor: whether they have answered' }),
    attachments: z.array(uploadedFile),
  }),
  'A calibration case (SPEC §12): never a visit, never counted in results',
);

export const roundResultsResponse = component(
  'CalibrationResults',
  z.object({
    alpha: z.number().nullable().openapi({ description: "Krippendorff's alpha, interval metric, over item scores" }),
    items: z.array(
      z.object({ itemKey: z.string(), agreement: z.number().nullable(), answers: z.number().int(), text: out.text }),
    ),
    auditors: z.array(
      z.object({
        auditorId: out.id,
        auditorCode: z.string(),
        bias: z.number().nullable(),
        referenceAgreement: z.number().nullable().optional(),
      }),
    ),
    answered: z.number().int(),
    invited: z.number().int(),
  }),
);

export const leniencyResponse = component(
  'AuditorLeniency',
  z.object({
    auditorId: out.id,
    auditorCode: z.string(),
    leniency: z.number().nullable(),
    visits: z.number().int(),
    flagged: z.boolean(),
  }),
);
