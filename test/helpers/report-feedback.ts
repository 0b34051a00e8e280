import type { DisputeMark, PlanOutcomeRow, ReportSnapshot } from '../../reports/types';
import { withBranchFeedback } from '../../server/publishing/feedback';
import { fixtureSnapshot, withBranchDetail } from './reports';

/**
 * Fixture snapshots with the feedback loop (disputes and action plans), for the PDF builders.
 * Branch JN-002 (region 华东区, visits visit-0 and visit-1 of withBranchDetail) has three disputes,
 * JN-003 one; plans cover the bank, 华东区, JN-002 and — never to show in JN-002's report — JN-005.
 */
export const FB_BRANCH = 'JN-002';
export const FB_OTHER = 'JN-005';

const mark = (
  id: string,
  visitId: string,
  branchCode: string,
  region: string,
  itemKey: string,
  state: DisputeMark['state'],
  before: DisputeMark['before'] = null,
  after: DisputeMark['after'] = null,
): DisputeMark => ({
  id,
  visitId,
  branchCode,
  region,
  itemKey,
  state,
  before,
  after,
  openedAt: '2026-09-20T02:00:00.000Z',
});

const rate = (quarter: string, failed: number, applicable: number) => ({
  quarter,
  failed,
  applicable,
  failureRate: applicable ? failed / applicable : null,
});

function plan(
  id: string,
  scope: PlanOutcomeRow['scope'],
  action: string,
  status: PlanOutcomeRow['outcome']['status'],
  before: [number, number],
  after: [number, number],
  extra: Partial<PlanOutcomeRow> = {},
): PlanOutcomeRow {
  return {
    id,
    kind: 'key_problem',
    itemKey: 'c_risk_disclosure',
    sectionKey: 'sales_compliance',
    text: { zh: '风险揭示', en: 'Risk disclosure' },
    scope,
    action,
    owner: '王经理',
    dueDate: '2026-06-30',
    status: 'done',
    overdue: false,
    outcome: { status, before: rate('2026-Q2', ...before), after: rate('2026-Q3', ...after) },
    ...extra,
  };
}

export function feedbackSnapshot(lang: 'zh' | 'en' = 'zh'): ReportSnapshot {
  const s = fixtureSnapshot({ lang });
  const region = s.branches.find((b) => b.code === FB_BRANCH)?.region ?? '';
  const otherRegion = s.branches.find((b) => b.code === FB_OTHER)?.region ?? '';
  s.feedback = {
    plansQuarter: '2026-Q2',
    disputes: [
      mark('d1', 'visit-0', FB_BRANCH, region, 'c_risk_disclosure', 'open', 'no'),
      mark('d2', 'visit-1', FB_BRANCH, region, 'g_wait_time', 'overturned', 2, 4),
      mark('d3', 'visit-1', FB_BRANCH, region, 'g_greet_30s', 'upheld', 'yes'),
      mark(
        'd4',
        'v2',
        'JN-003',
        s.branches.find((b) => b.code === 'JN-003')?.region ?? '',
        'c_risk_disclosure',
        'overturned',
        'no',
        'yes',
      ),
    ],
    plans: [
      plan('p1', { type: 'branch', region, branchCode: FB_BRANCH }, '晨会讲解风险', 'improved', [2, 2], [0, 2]),
      plan('p2', { type: 'region', region, branchCode: '' }, '区域专项检查', 'worse', [1, 4], [2, 4], {
        status: 'open',
        overdue: true,
      }),
      plan('p3', { type: 'bank', region: '', branchCode: '' }, '全员合规培训', 'no_data', [0, 0], [1, 3]),
      plan(
        'p4',
        { type: 'branch', region: otherRegion, branchCode: FB_OTHER },
        '别的网点措施',
        'unchanged',
        [1, 2],
        [1, 2],
      ),
    ],
  };
  // As the snapshot marks them: the violation of JN-002's visit v1 has an open dispute.
  for (const v of s.violations) if (v.visitId === 'v1') v.dispute = 'open';
  return s;
}

/** The slice a branch report gets, its feedback attached the way the close attaches it. */
export function feedbackBranchSlice(s: ReportSnapshot, code: string): ReportSnapshot {
  const slice = withBranchDetail(s, code);
  const detail = slice.branchDetails[0];
  // The fixture's visits are visit-0/visit-1; its violations are those of the bank list (visit v<i>).
  return { ...slice, branchDetails: [withBranchFeedback(s, detail)] };
}
