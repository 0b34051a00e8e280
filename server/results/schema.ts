import { z } from 'zod';
import { fields } from '../platform/http/validation';

export const LEVELS = ['bank', 'region', 'branch', 'staff'] as const;
export type Level = (typeof LEVELS)[number];

/** `region` and `branchCode` narrow the scope further (the dashboards' drill-down); never widen it. */
export const resultsQuery = z
  .object({
    bankId: fields.objectId,
    quarter: fields.quarter,
    level: z.enum(LEVELS).default('bank'),
    region: z.string().trim().min(1).max(100).optional(),
    branchCode: fields.code.optional(),
  })
  .strict();
export type ResultsQuery = z.infer<typeof resultsQuery>;

export const overviewQuery = z
  .object({
    quarter: fields.quarter.optional(),
  })
  .strict();
export type OverviewQuery = z.infer<typeof overviewQuery>;
