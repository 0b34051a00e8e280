import { z } from 'zod';
import { component, out, sectionScores } from '../platform/http/api-schema';
import { LEVELS } from './schema';

const scores = { sections: sectionScores, total: out.score };

/** SPEC §11 on one mean. */
const interval = z.tuple([z.number(), z.number()]).nullable().openapi({ description: '95 % confidence interval' });
const change = z
  .object({
    delta: z.number(),
    p: z.number().nullable().openapi({ description: "Welch's two-sided p" }),
    significant: z.boolean().nullable().openapi({ description: 'p < 0.05; null: too little data' }),
  })
  .openapi({ description: 'Against the previous quarter' });
const scoreConfidence = z.object({
  n: z.number().int().openapi({ description: 'Values averaged: visits, or branch scores for an area' }),
  sd: z.number().nullable(),
  ci95: interval,
  smallSample: z.boolean(),
  change: change.optional(),
});
const confidenceFields = {
  sd: z.number().nullable().optional().openapi({ description: 'Sample standard deviation of the total (n − 1)' }),
  ci95: interval.optional(),
  smallSample: z.boolean().optional().openapi({ description: 'n < 3' }),
  change: change.optional(),
  belowBank: z.boolean().optional().openapi({ description: "The interval's upper end is below the bank score" }),
  confidence: z
    .object({ sections: z.record(z.string(), scoreConfidence), total: scoreConfidence })
    .optional()
    .openapi({ description: 'SPEC §11 for every mean the row shows' }),
};

export const resultRow = component(
  'ResultRow',
  z.object({
    key: z.string().openapi({ description: 'Bank code, region name, branch code or employee id' }),
    name: z.string(),
    n: z.number().int().openapi({ description: 'Approved visits counted' }),
    branches: z.number().int().optional().openapi({ description: 'Branches with at least one visit' }),
    ...scores,
    previous: z.object(scores).optional().openapi({ description: 'The previous quarter (trend)' }),
    spread: z
      .object({ min: z.number(), max: z.number(), stdev: z.number() })
      .optional()
      .openapi({ description: 'Spread of branch totals (horizontal consistency)' }),
    benchmark: z
      .literal(true)
      .optional()
      .openapi({ description: "An area wider than the caller's scope, shown for comparison only" }),
    region: z.string().optional(),
    branchCode: z.string().optional(),
    ...confidenceFields,
  }),
  'Scores of one bank, region, branch or staff member in a quarter (SPEC §3)',
);

const keyProblem = z.object({
  itemKey: z.string(),
  sectionKey: z.string(),
  failureRate: z.number(),
  failed: z.number().int(),
  applicable: z.number().int(),
  text: out.text,
});

const violation = z.object({
  visitId: out.id,
  branchCode: z.string(),
  region: z.string(),
  itemKey: z.string(),
  sectionKey: z.string().nullable(),
  disputed: z.boolean().openapi({ description: 'Under dispute: the figure may still change' }),
  text: out.text,
  failure: out.text.openapi({ description: "The item's failure in words (its own wording, else 'Not met: <item>')" }),
});

export const resultsResponse = component(
  'Results',
  z.object({
    quarter: out.quarter,
    level: z.enum(LEVELS),
    bankId: out.id,
    focus: z.object({
      type: z.enum(['bank', 'region', 'branches', 'branch']),
      key: z.string(),
      name: z.string(),
      region: z.string().optional(),
    }),
    rows: z.array(resultRow),
    summary: resultRow,
    trend: z.array(
      z.object({
        quarter: out.quarter,
        n: z.number().int(),
        branches: z.number().int(),
        ...scores,
        sd: confidenceFields.sd,
        ci95: confidenceFields.ci95,
        smallSample: confidenceFields.smallSample,
      }),
    ),
    keyProblems: z.array(keyProblem),
    violations: z.array(violation),
  }),
);

export const overviewResponse = component(
  'Overview',
  z.object({
    quarter: out.quarter,
    banks: z.array(
      z.object({
        bankId: out.id,
        code: z.string(),
        name: z.string(),
        visits: z.object({
          draft: z.number().int(),
          submitted: z.number().int(),
          returned: z.number().int(),
          approved: z.number().int(),
          disputed: z.number().int(),
          total: z.number().int(),
        }),
        branches: z.object({
          total: z.number().int(),
          planned: z.number().int(),
          visited: z.number().int(),
          visitedPlanned: z.number().int(),
        }),
        coverage: z.number().nullable(),
      }),
    ),
  }),
);
