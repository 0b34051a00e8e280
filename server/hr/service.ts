import * as audit from '../audit/service';
import { Types } from 'mongoose';
import { findStaff } from '../banks/service';
import {
  assertBankVisible,
  canSeeBranch,
  isBankRole,
  requireRole,
  scopeFilter,
  type Principal,
  type Role,
} from '../platform/access';
import { unlessDuplicate } from '../platform/db/duplicate-key';
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { undecidedDisputeVisits } from '../disputes/service';
import { quarterResults } from '../results/service';
import type { SectionScores } from '../rules/scoring';
import { staffOfVisits } from '../stats/service';
import { StaffReview } from './model';
import { scoreVisitsOf, scoreVisitsOfMany, type ScoreVisit, type ScoreVisits } from './score-visits';
import type { LinkReviewInput, ReviewsQuery, ScorecardQuery } from './schema';

/**
 * HR linkage (SPEC section 6). Staff scores come from the results service (the mean over the
 * counted visits in which the member was identified), cut to the HR user's scope; this module adds
 * the dispute state and the review links with their frozen snapshots. Auditors and bank managers
 * never reach any of it (403); HR of another bank gets 404.
 */
export const HR_READERS: readonly Role[] = ['hr', 'admin'];
export const HR_WRITERS: readonly Role[] = ['hr'];

export interface ScorecardRow {
  employeeId: string;
  name: string;
  branchCode: string;
  n: number;
  sections: SectionScores;
  total: number | null;
  /** The previous quarter's figures (trend), null when the member had no counted visit then. */
  previous: { sections: SectionScores; total: number | null } | null;
  change: number | null;
  /** How many of the member's visits in the quarter have a dispute not yet decided. */
  disputed: number;
  /** SPEC §11 on the total: sample sd and 95 % interval over the member's visits (null below 2). */
  sd: number | null;
  ci95: [number, number] | null;
  /** Fewer than 3 visits: not a basis for a review on its own. */
  smallSample: boolean;
  /** Welch's test of the change against the previous quarter (null without a previous quarter). */
  changeTest: { p: number | null; significant: boolean | null } | null;
}

export interface Scorecards {
  bankId: string;
  bankCode: string;
  bankName: string;
  quarter: string;
  previousQuarter: string;
  rows: ScorecardRow[];
}

function bankOf(p: Principal, bankId: string | undefined): string {
  const id = bankId ?? (isBankRole(p.role) ? p.bankId : undefined);
  if (!id)
    throw new BadRequestError('Invalid query parameters', [{ field: 'bankId', message: 'required' }], 'invalid_query');
  assertBankVisible(p, id);
  return id;
}

/** Undecided disputes per staff member, over the visits of the quarter the caller may see. */
async function disputedByStaff(p: Principal, bankId: string, quarter: string): Promise<Map<string, number>> {
  const visits = await undecidedDisputeVisits(p, bankId, quarter);
  const out = new Map<string, number>();
  for (const staffIds of await staffOfVisits(bankId, quarter, visits))
    for (const id of new Set(staffIds)) out.set(id, (out.get(id) ?? 0) + 1);
  return out;
}

export async function staffScorecards(p: Principal, q: ScorecardQuery): Promise<Scorecards> {
  requireRole(p, HR_READERS);
  const bankId = bankOf(p, q.bankId);
  const r = await quarterResults(p, { bankId, quarter: q.quarter }, new Set(['staff']));
  const disputed = await disputedByStaff(p, bankId, q.quarter);
  return {
    bankId,
    bankCode: r.bankCode,
    bankName: r.bankName,
    quarter: r.quarter,
    previousQuarter: r.previousQuarter,
    rows: r.staff.map((s) => ({
      employeeId: s.key,
      name: s.name,
      branchCode: s.branchCode ?? '',
      n: s.n,
      sections: { ...s.sections },
      total: s.total,
      previous: s.previous ? { sections: { ...s.previous.sections }, total: s.previous.total } : null,
      change: s.total !== null && typeof s.previous?.total === 'number' ? s.total - s.previous.total : null,
      disputed: disputed.get(s.key) ?? 0,
      sd: s.sd ?? null,
      ci95: s.ci95 ?? null,
      smallSample: s.smallSample ?? s.n < 3,
      changeTest: s.change ? { p: s.change.p, significant: s.change.significant } : null,
    })),
  };
}

export type { ScoreVisit, ScoreVisits } from './score-visits';

/** The visits a staff member's quarter score rests on (auditors by pseudonym only); 404 outside the caller's bank or scope. */
export async function staffScoreVisits(p: Principal, employeeId: string, q: ScorecardQuery): Promise<ScoreVisits> {
  requireRole(p, HR_READERS);
  return scoreVisitsOf(p, bankOf(p, q.bankId), q.quarter, employeeId);
}

/** For an export: the visits each scorecard rests on, with the bank's time zone they are written in. */
export async function scorecardVisits(
  p: Principal,
  s: Scorecards,
): Promise<{ timezone: string; byStaff: Map<string, ScoreVisit[]> }> {
  requireRole(p, HR_READERS);
  return scoreVisitsOfMany(p, s.bankId, s.quarter, new Set(s.rows.map((r) => r.employeeId)));
}

// ---- review links ----

export interface ReviewView {
  id: string;
  bankId: string;
  employeeId: string;
  name: string;
  branchCode: string;
  quarter: string;
  reviewRef: string;
  note: string | null;
  snapshot: {
    n: number;
    sections: SectionScores;
    total: number | null;
    previousTotal: number | null;
    disputed: number;
    /** The total's 95 % interval when linked (null below 2 visits or for links made before it was kept). */
    ci95: [number, number] | null;
    /** Fewer than 3 visits when linked: the review was told so. */
    smallSample: boolean;
  };
  createdBy: string;
  createdAt: string;
}

type LeanReview = {
  _id: Types.ObjectId;
  bankId: Types.ObjectId;
  employeeId: string;
  staffName: string;
  branchCode: string;
  quarter: string;
  reviewRef: string;
  note?: string | null;
  createdBy: Types.ObjectId;
  createdAt: Date;
  snapshot: {
    n: number;
    sections: SectionScores;
    total?: number | null;
    previousTotal?: number | null;
    disputed: number;
    ci95?: number[] | null;
    smallSample?: boolean | null;
  };
};

function reviewView(r: LeanReview): ReviewView {
  const s = r.snapshot;
  return {
    id: String(r._id),
    bankId: String(r.bankId),
    employeeId: r.employeeId,
    name: r.staffName,
    branchCode: r.branchCode,
    quarter: r.quarter,
    reviewRef: r.reviewRef,
    note: r.note ?? null,
    snapshot: {
      n: s.n,
      sections: {
        greeting: s.sections.greeting ?? null,
        product_knowledge: s.sections.product_knowledge ?? null,
        sales_compliance: s.sections.sales_compliance ?? null,
        follow_up: s.sections.follow_up ?? null,
      },
      total: s.total ?? null,
      previousTotal: s.previousTotal ?? null,
      disputed: s.disputed,
      ci95: s.ci95?.length === 2 ? [s.ci95[0], s.ci95[1]] : null,
      smallSample: s.smallSample ?? s.n < 3,
    },
    createdBy: String(r.createdBy),
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

/** A staff member of the bank that the caller's scope covers, else 404. */
async function visibleStaff(p: Principal, bankId: string, employeeId: string) {
  const s = await findStaff(bankId, employeeId);
  if (!s || !canSeeBranch(p, { bankId, code: s.branchCode, region: s.region })) throw new NotFoundError('Staff member');
  return s;
}

/** Links the quarter's scorecard of one staff member to an HR review, freezing its numbers. */
export async function linkReview(p: Principal, employeeId: string, input: LinkReviewInput): Promise<ReviewView> {
  requireRole(p, HR_WRITERS);
  assertBankVisible(p, input.bankId);
  const staff = await visibleStaff(p, input.bankId, employeeId);
  const card = (await staffScorecards(p, { bankId: input.bankId, quarter: input.quarter })).rows.find(
    (r) => r.employeeId === employeeId,
  );
  if (!card) {
    throw new ValidationError(
      [
        {
          field: 'quarter',
          message: `no approved visit in ${input.quarter} identified ${employeeId}; there is no scorecard to link`,
        },
      ],
      'No scorecard for this staff member in this quarter',
      'no_scorecard',
    );
  }
  // The unique `linkKey` refuses linking the same review to the same scorecard twice.
  const doc = await unlessDuplicate(
    () =>
      StaffReview.create({
        bankId: input.bankId,
        employeeId,
        staffName: staff.name,
        branchCode: staff.branchCode,
        region: staff.region,
        quarter: input.quarter,
        reviewRef: input.reviewRef,
        note: input.note ?? null,
        createdBy: new Types.ObjectId(p.id),
        snapshot: {
          n: card.n,
          sections: card.sections,
          total: card.total,
          previousTotal: card.previous?.total ?? null,
          disputed: card.disputed,
          ci95: card.ci95 ?? undefined,
          smallSample: card.smallSample,
        },
        linkKey: `${input.bankId}|${employeeId}|${input.quarter}|${input.reviewRef}`,
      }),
    () => {
      throw new ConflictError(
        `Review "${input.reviewRef}" is already linked to ${employeeId}'s ${input.quarter} scorecard`,
        'review_already_linked',
        [{ field: 'reviewRef', message: 'already linked' }],
      );
    },
  );
  return reviewView(doc.toObject() as unknown as LeanReview);
}

export async function staffReviews(p: Principal, employeeId: string, q: ReviewsQuery = {}): Promise<ReviewView[]> {
  requireRole(p, HR_READERS);
  const bankId = bankOf(p, q.bankId);
  await visibleStaff(p, bankId, employeeId);
  const rows = await StaffReview.find({ bankId, employeeId, ...(q.quarter ? { quarter: q.quarter } : {}) })
    .sort({ createdAt: -1, _id: -1 })
    .lean<LeanReview[]>();
  return rows.map(reviewView);
}

/** The review links of a bank's quarter in the caller's scope (for the scorecards page). */
export async function quarterReviews(p: Principal, bankId: string, quarter: string): Promise<ReviewView[]> {
  requireRole(p, HR_READERS);
  assertBankVisible(p, bankId);
  const rows = await StaffReview.find({ $and: [scopeFilter(p), { bankId, quarter }] })
    .sort({ createdAt: -1, _id: -1 })
    .limit(500)
    .lean<LeanReview[]>();
  return rows.map(reviewView);
}

/** Every export of HR data (CSV, XLSX) is in the audit log: who took which bank's quarter, how many rows. */
export function noteExport(p: Principal, s: Scorecards, format: 'csv' | 'xlsx'): Promise<void> {
  return audit.record({
    action: 'hr.exported',
    actor: audit.auditActor(p),
    target: { type: 'scorecards', id: s.bankId, label: `${s.bankCode} ${s.quarter} ${format}` },
    bankId: s.bankId,
    after: { quarter: s.quarter, format, rows: s.rows.length },
  });
}
