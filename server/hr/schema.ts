import { z } from 'zod';
import { fields } from '../platform/http/validation';

/** `bankId` may be left out by HR users (their own bank); the firm's admin must name one. */
export const scorecardQuery = z.object({ bankId: fields.objectId.optional(), quarter: fields.quarter }).strict();
export type ScorecardQuery = z.infer<typeof scorecardQuery>;

export const linkReviewBody = z
  .object({
    bankId: fields.objectId,
    quarter: fields.quarter,
    reviewRef: z.string().trim().min(1).max(200),
    note: z.string().trim().max(2000).optional(),
  })
  .strict();
export type LinkReviewInput = z.infer<typeof linkReviewBody>;

export const reviewsQuery = z
  .object({ bankId: fields.objectId.optional(), quarter: fields.quarter.optional() })
  .strict();
export type ReviewsQuery = z.infer<typeof reviewsQuery>;
