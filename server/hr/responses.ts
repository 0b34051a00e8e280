import { z } from 'zod';
import { component, out, sectionScores } from '../platform/http/api-schema';

export const scorecardResponse = component(
  'StaffScorecard',
  z.object({
    employeeId: z.string(),
    name: z.string(),
    branchCode: z.string(),
    n: z.number().int().openapi({ description: 'Approved visits that identified the staff member' }),
    sections: sectionScores,
    total: out.score,
    previous: z
      .object({ sections: sectionScores, total: out.score })
      .nullable()
      .openapi({ description: 'The previous quarter, null without a counted visit then' }),
    change: z.number().nullable(),
    disputed: z.number().int().openapi({ description: 'Visits with a dispute not yet decided' }),
    sd: z.number().nullable().openapi({ description: 'Sample standard deviation of the visit totals (SPEC §11)' }),
    ci95: z.tuple([z.number(), z.number()]).nullable(),
    smallSample: z.boolean().openapi({ description: 'Fewer than 3 visits: not a basis for a review on its own' }),
    changeTest: z
      .object({ p: z.number().nullable(), significant: z.boolean().nullable() })
      .nullable()
      .openapi({ description: "Welch's test of the change against the previous quarter" }),
  }),
);

export const reviewResponse = component(
  'StaffReviewLink',
  z.object({
    id: out.id,
    bankId: out.id,
    employeeId: z.string(),
    name: z.string(),
    branchCode: z.string(),
    quarter: out.quarter,
    reviewRef: z.string(),
    note: z.string().nullable(),
    snapshot: z.object({
      n: z.number().int(),
      sections: sectionScores,
      total: out.score,
      previousTotal: out.score,
      disputed: z.number().int(),
      ci95: z
        .tuple([z.number(), z.number()])
        .nullable()
        .openapi({ description: "The total's 95% interval when linked (SPEC §11), null below 2 visits" }),
      smallSample: z.boolean().openapi({ description: 'Fewer than 3 visits when linked: not a basis on its own' }),
    }),
    createdBy: out.id,
    createdAt: out.time,
  }),
);

export const scoreVisitResponse = component(
  'StaffScoreVisit',
  z.object({
    visitId: out.id,
    visitedAt: out.time.openapi({ description: "In the bank's time zone, with its offset" }),
    branchCode: z.string(),
    branchName: z.string(),
    total: out.score,
    auditorCode: z
      .string()
      .nullable()
      .openapi({ description: "The auditor's pseudonym (never a name, e-mail or user id)" }),
    disputed: z.boolean().openapi({ description: 'A dispute on the visit is not yet decided' }),
  }),
);
