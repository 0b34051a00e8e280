import type { VisitInput } from '../results/aggregate';
import type { StoredVisit } from '../visits/service';

/**
 * A counted visit as the quarter close reads it: the fields its figures and branch reports need, a
 * Pick of the stored visit. The same visits feed the results accumulator, the feedback collector
 * and, spilled to disk, the branch reports.
 */
export const VISIT_FIELDS = {
  branchCode: 1,
  region: 1,
  quarter: 1,
  visitedAt: 1,
  durationMinutes: 1,
  questionnaireId: 1,
  questionnaireVersion: 1,
  summary: 1,
  staff: 1,
  staffIds: 1,
  answers: 1,
  scores: 1,
  violations: 1,
} as const;

export type ReportVisit = Pick<StoredVisit, '_id' | keyof typeof VISIT_FIELDS>;

/** The visit as the results accumulator takes it. */
export function visitInput(v: ReportVisit): VisitInput {
  return {
    id: String(v._id),
    branchCode: v.branchCode,
    region: v.region,
    quarter: v.quarter,
    staffIds: v.staffIds,
    answers: v.answers,
    questionnaireId: String(v.questionnaireId),
    questionnaireVersion: v.questionnaireVersion,
    scores: v.scores,
    violations: v.violations,
  };
}
