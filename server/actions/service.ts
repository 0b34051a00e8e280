import { Types } from 'mongoose';
import { regionsOfBranches } from '../banks/service';
import { assertBankVisible, isBankRole, requireRole, scopeFilter, type Principal, type Role } from '../platform/access';
import { release, tryClaim } from '../platform/db/write-claims';
import { ConflictError, NotFoundError } from '../platform/errors';
import { shiftQuarter } from '../rules/quarters';
import type { ResultsReport } from '../results/service';
import { coversArea, targetOf } from './area';
import { ActionPlan } from './model';
import type { PlanOutcome } from './outcome';
import type { CreatePlanInput, ListPlansQuery, UpdatePlanInput } from './schema';
import { toViews, type LeanPlan, type PlanView } from './views';

/**
 * Action plans: the bank's side of the feedback loop. A bank manager records, for a key problem or
 * a violation, what will be done, by whom and by when, and marks it done; each plan carries the
 * outcome the next quarter's figures show. A plan is visible to whoever's scope covers its area.
 */
export const PLAN_WRITERS: readonly Role[] = ['bank_manager'];
export const PLAN_READERS: readonly Role[] = ['bank_manager', 'admin'];

export type { PlanView } from './views';
export { compare, type OutcomeStatus, type PlanOutcome, type QuarterRate } from './outcome';
export { PLAN_KINDS, PLAN_SCOPES, PLAN_STATUSES, type PlanKind, type PlanScope, type PlanStatus } from './model';

// ---- writing ----

export async function createPlan(p: Principal, input: CreatePlanInput): Promise<PlanView> {
  requireRole(p, PLAN_WRITERS);
  const target = await targetOf(p, input);
  const doc = await ActionPlan.create({
    ...target,
    kind: input.kind,
    itemKey: input.itemKey,
    action: input.action,
    owner: input.owner,
    dueDate: input.dueDate,
    status: 'open',
    createdBy: new Types.ObjectId(p.id),
    rev: 0,
    history: [{ at: new Date(), by: new Types.ObjectId(p.id), action: 'created', changes: [] }],
  });
  return (await toViews([doc.toObject() as unknown as LeanPlan]))[0];
}

const lostRace = () => new ConflictError('The action plan was changed meanwhile; reload it and try again', 'conflict');

/** A plan's write claim is released at once; one its writer could not release lapses after a day. */
const PLAN_CLAIM_MS = 86_400_000;

/**
 * Changes a plan (typically: marks it done). The write is guarded by a write claim on (plan, rev+1)
 * (see platform/db/write-claims), so a concurrent change is refused, not overwritten.
 */
export async function updatePlan(p: Principal, id: string, input: UpdatePlanInput): Promise<PlanView> {
  requireRole(p, PLAN_WRITERS);
  const plan = await loadVisiblePlan(p, id);
  if (input.rev !== undefined && input.rev !== plan.rev) throw lostRace();
  const changes: { field: string; before: unknown; after: unknown }[] = [];
  const set: Record<string, unknown> = {};
  for (const f of ['action', 'owner', 'dueDate', 'status'] as const) {
    if (input[f] !== undefined && input[f] !== plan[f]) {
      changes.push({ field: f, before: plan[f], after: input[f] });
      set[f] = input[f];
    }
  }
  if (changes.length === 0) return (await toViews([plan]))[0];
  if (set.status === 'done') Object.assign(set, { doneAt: new Date(), doneBy: new Types.ObjectId(p.id) });
  if (set.status === 'open') Object.assign(set, { doneAt: null, doneBy: null });
  const claim = await tryClaim(`plan:${id}:${plan.rev + 1}`, { expiresAt: new Date(Date.now() + PLAN_CLAIM_MS) });
  if (!claim) throw lostRace();
  try {
    const entry = {
      at: new Date(),
      by: new Types.ObjectId(p.id),
      action: set.status === 'done' ? 'done' : set.status === 'open' ? 'reopened' : 'updated',
      changes,
    };
    const updated = await ActionPlan.findOneAndUpdate(
      { _id: plan._id, rev: plan.rev },
      { $set: set, $inc: { rev: 1 }, $push: { history: entry } },
      { new: true },
    ).lean<LeanPlan>();
    if (!updated) throw lostRace();
    return (await toViews([updated]))[0];
  } finally {
    await release(claim);
  }
}

// ---- reading ----

async function loadVisiblePlan(p: Principal, id: string): Promise<LeanPlan> {
  requireRole(p, PLAN_READERS);
  const plan = Types.ObjectId.isValid(id) ? await ActionPlan.findById(id).lean<LeanPlan>() : null;
  if (!plan || !coversArea(p, { ...plan, bankId: String(plan.bankId) })) throw new NotFoundError('Action plan');
  return plan;
}

export async function getPlan(p: Principal, id: string): Promise<PlanView> {
  return (await toViews([await loadVisiblePlan(p, id)]))[0];
}

/**
 * scopeFilter matches the plans whose area lies inside the caller's scope: bank-wide plans carry
 * no region and no branch, region plans no branch, so a narrower scope never matches a wider plan.
 */
export async function listPlans(p: Principal, q: ListPlansQuery = {}): Promise<PlanView[]> {
  requireRole(p, PLAN_READERS);
  if (q.bankId) assertBankVisible(p, q.bankId, 'Bank');
  const wanted: Record<string, unknown> = {};
  for (const k of ['bankId', 'quarter', 'status', 'kind', 'region', 'branchCode'] as const) if (q[k]) wanted[k] = q[k];
  const rows = await ActionPlan.find({ $and: [scopeFilter(p), wanted] })
    .sort({ quarter: -1, createdAt: -1, _id: -1 })
    .limit(1000)
    .lean<LeanPlan[]>();
  return toViews(rows);
}

/**
 * For the branch report of `quarter` (no principal: the report job has its own rights): the plans
 * of the previous quarter that cover the branch (bank-wide, its region, the branch itself), each
 * with its outcome — measured in the plan's own area, so the report matches the plans page.
 */
export async function actionPlansForReport(input: {
  bankId: string;
  quarter: string;
  region?: string;
  branchCode?: string;
}): Promise<PlanView[]> {
  const area: Record<string, unknown>[] = [{ scopeType: 'bank' }];
  if (input.region) area.push({ scopeType: 'region', region: input.region });
  if (input.branchCode) area.push({ scopeType: 'branch', branchCode: input.branchCode });
  const rows = await ActionPlan.find({ bankId: input.bankId, quarter: shiftQuarter(input.quarter, -1), $or: area })
    .sort({ createdAt: 1, _id: 1 })
    .lean<LeanPlan[]>();
  return toViews(rows);
}

/** A plan on the results dashboard; its outcome is null when its area's figures may not be shown to the caller. */
export interface ResultsPlanView extends Omit<PlanView, 'outcome'> {
  outcome: PlanOutcome | null;
}

type ResultsFocus = Pick<ResultsReport, 'bankId' | 'quarter' | 'focus' | 'bank' | 'regions'>;

/**
 * For the results dashboard of `r.quarter`: the previous quarter's plans that cover the view
 * (bank-wide, the view's region(s), the view's branch(es)) — one query for the bank and quarter,
 * outcomes as on the plans page. The view already lies inside the caller's scope (the results
 * resolved it), so a plan of another branch or region never matches. A plan whose area is wider
 * than the scope keeps its figures only where the results show that area's figure in both quarters
 * (the benchmark rule), so no hidden branch's failure rate can be subtracted out.
 */
export async function actionPlansForResults(p: Principal, r: ResultsFocus): Promise<ResultsPlanView[]> {
  requireRole(p, PLAN_READERS);
  assertBankVisible(p, r.bankId);
  if (isBankRole(p.role) && !p.scope) return [];
  const { regions, branchCodes } = await viewAreas(r);
  const area: Record<string, unknown>[] = [{ scopeType: 'bank' }];
  if (regions.length) area.push({ scopeType: 'region', region: { $in: regions } });
  if (branchCodes.length) area.push({ scopeType: 'branch', branchCode: { $in: branchCodes } });
  const rows = await ActionPlan.find({ bankId: r.bankId, quarter: shiftQuarter(r.quarter, -1), $or: area })
    .sort({ createdAt: 1, _id: 1 })
    .limit(1000)
    .lean<LeanPlan[]>();
  return (await toViews(rows)).map((v) => ({ ...v, outcome: figuresShown(p, r, v) ? v.outcome : null }));
}

/** The regions and branches the view consists of (a branch manager's own branches may span regions). */
async function viewAreas(r: ResultsFocus): Promise<{ regions: string[]; branchCodes: string[] }> {
  const f = r.focus;
  if (f.type === 'bank') return { regions: [], branchCodes: [] };
  if (f.type === 'region') return { regions: [f.key], branchCodes: [] };
  if (f.type === 'branch') return { regions: f.region ? [f.region] : [], branchCodes: [f.key] };
  const codes = f.key.split(',').filter(Boolean);
  return { regions: await regionsOfBranches(r.bankId, codes), branchCodes: codes };
}

function figuresShown(p: Principal, r: ResultsFocus, v: PlanView): boolean {
  const area = {
    bankId: v.bankId,
    scopeType: v.scope.type,
    region: v.scope.region ?? '',
    branchCode: v.scope.branchCode ?? '',
  };
  if (coversArea(p, area)) return true;
  const row =
    v.scope.type === 'bank'
      ? r.bank
      : v.scope.type === 'region'
        ? r.regions.find((x) => x.key === v.scope.region)
        : undefined;
  return Boolean(row && row.previous);
}

// ---- for publishing (no principal: the quarter close has its own rights)

/** A plan as the quarter's reports list it. */
export type PlanForReport = Pick<
  LeanPlan,
  | '_id'
  | 'kind'
  | 'itemKey'
  | 'sectionKey'
  | 'scopeType'
  | 'region'
  | 'branchCode'
  | 'action'
  | 'owner'
  | 'dueDate'
  | 'status'
>;

/** Every plan the bank made in `quarter`, in the order they were made. */
export async function plansOfQuarter(bankId: string, quarter: string): Promise<PlanForReport[]> {
  const fields = {
    kind: 1,
    itemKey: 1,
    sectionKey: 1,
    scopeType: 1,
    region: 1,
    branchCode: 1,
    action: 1,
    owner: 1,
    dueDate: 1,
    status: 1,
  };
  return ActionPlan.find({ bankId, quarter }, fields).sort({ createdAt: 1, _id: 1 }).lean<PlanForReport[]>();
}

/** How a plan's item fared from one quarter to the next (the plans page's comparison). */
export { compare as compareOutcome } from './outcome';

// ---- a branch moved to another region: plans for the branch follow it (a region's plans stay its own)
export async function retagRegion(bankId: string, branchCode: string, region: string): Promise<void> {
  await ActionPlan.updateMany(
    { bankId, scopeType: 'branch', branchCode, region: { $ne: region } },
    { $set: { region } },
  );
}
