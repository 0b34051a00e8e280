import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { Bank, Branch } from '../banks/model';
import {
  assertBankVisible,
  canSeeBank,
  canSeeBranch,
  isBankRole,
  requireRole,
  scopeFilter,
  type Principal,
  type Role,
} from '../platform/access';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { QuestionnaireVersion } from '../questionnaires/model';
import { shiftQuarter } from '../rules/quarters';
import type { ResultsReport } from '../results/service';
import { loadVisibleVisit } from '../visits/service';
import { release, tryClaim } from '../disputes/claims';
import { ActionPlan, type PlanKind, type PlanScope, type PlanStatus } from './model';
import { OutcomeBook, type PlanArea, type PlanOutcome } from './outcome';
import type { CreatePlanInput, ListPlansQuery, PlanScopeInput, UpdatePlanInput } from './schema';

/**
 * Action plans: the bank's side of the feedback loop. A bank manager records, for a key problem or
 * a violation, what will be done, by whom and by when, and marks it done; each plan carries the
 * outcome the next quarter's figures show. A plan is visible to whoever's scope covers its area.
 */
export const PLAN_WRITERS: readonly Role[] = ['bank_manager'];
export const PLAN_READERS: readonly Role[] = ['bank_manager', 'admin'];

export interface PlanView {
  id: string;
  bankId: string;
  quarter: string;
  kind: PlanKind;
  itemKey: string;
  sectionKey: string;
  itemText: { zh: string; en: string };
  visitId: string | null;
  scope: { type: PlanScope; region?: string; branchCode?: string };
  action: string;
  owner: string;
  dueDate: string;
  status: PlanStatus;
  overdue: boolean;
  doneAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  rev: number;
  history: { at: string; by: string; action: string; changes: unknown[] }[];
  /** Failure rate of the item in the plan's quarter and the next, in the plan's area. */
  outcome: PlanOutcome;
}

type LeanPlan = {
  _id: Types.ObjectId;
  bankId: Types.ObjectId;
  quarter: string;
  kind: PlanKind;
  itemKey: string;
  sectionKey: string;
  visitId: string;
  scopeType: PlanScope;
  region: string;
  branchCode: string;
  action: string;
  owner: string;
  dueDate: string;
  status: PlanStatus;
  doneAt?: Date | null;
  createdBy: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  rev: number;
  history: { at: Date; by: Types.ObjectId; action: string; changes: unknown[] }[];
};

// ---- the area a plan is about ----

interface Target {
  bankId: Types.ObjectId;
  quarter: string;
  sectionKey: string;
  visitId: string;
  scopeType: PlanScope;
  region: string;
  branchCode: string;
}

/** Whether the caller's scope covers a whole area (a region manager cannot plan for the bank). */
function coversArea(
  p: Principal,
  a: { bankId: string; scopeType: PlanScope; region: string; branchCode: string },
): boolean {
  if (!canSeeBank(p, a.bankId)) return false;
  if (p.role === 'admin') return true;
  if (a.scopeType === 'branch') return canSeeBranch(p, { bankId: a.bankId, code: a.branchCode, region: a.region });
  if (p.scope?.type === 'bank') return true;
  return a.scopeType === 'region' && p.scope?.type === 'region' && p.scope.region === a.region;
}

/** Every item any questionnaire version of the bank has had, with its section and latest wording. */
async function bankItems(
  bankId: string,
): Promise<Map<string, { sectionKey: string; text: { zh: string; en: string } }>> {
  const versions = await QuestionnaireVersion.find({ bankId }, { version: 1, sections: 1 }).sort({ version: 1 }).lean();
  const out = new Map<string, { sectionKey: string; text: { zh: string; en: string } }>();
  for (const v of versions) {
    for (const s of v.sections)
      for (const i of s.items)
        out.set(i.key, { sectionKey: s.key, text: { zh: i.text?.zh ?? i.key, en: i.text?.en ?? i.key } });
  }
  return out;
}

async function areaOf(
  bankId: string,
  scope: PlanScopeInput,
): Promise<Pick<Target, 'scopeType' | 'region' | 'branchCode'>> {
  if (scope.type === 'branch') {
    const b = await Branch.findOne({ bankId, code: scope.branchCode }, { code: 1, region: 1 }).lean();
    if (!b) throw new NotFoundError('Branch');
    return { scopeType: 'branch', region: b.region, branchCode: b.code };
  }
  if (scope.type === 'region') {
    if (!(await Branch.exists({ bankId, region: scope.region }))) throw new NotFoundError('Region');
    return { scopeType: 'region', region: scope.region, branchCode: '' };
  }
  return { scopeType: 'bank', region: '', branchCode: '' };
}

async function targetOf(p: Principal, input: CreatePlanInput): Promise<Target> {
  if (input.kind === 'violation') {
    const v = await loadVisibleVisit(p, input.visitId);
    const hit = v.violations.find((x) => x.itemKey === input.itemKey);
    if (!hit)
      throw new ValidationError([
        { field: 'itemKey', message: `"${input.itemKey}" is not a compliance violation of this visit` },
      ]);
    return {
      bankId: v.bankId,
      quarter: v.quarter,
      sectionKey: hit.sectionKey,
      visitId: String(v._id),
      scopeType: 'branch',
      region: v.region,
      branchCode: v.branchCode,
    };
  }
  assertBankVisible(p, input.bankId);
  const area = await areaOf(input.bankId, input.scope);
  if (!coversArea(p, { bankId: input.bankId, ...area }))
    throw new NotFoundError(input.scope.type === 'bank' ? 'Bank' : input.scope.type === 'region' ? 'Region' : 'Branch');
  const item = (await bankItems(input.bankId)).get(input.itemKey);
  if (!item)
    throw new ValidationError([
      { field: 'itemKey', message: `no questionnaire of this bank has an item "${input.itemKey}"` },
    ]);
  return {
    bankId: new Types.ObjectId(input.bankId),
    quarter: input.quarter,
    sectionKey: item.sectionKey,
    visitId: '',
    ...area,
  };
}

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

/**
 * Changes a plan (typically: marks it done). The write is guarded by a claim on (plan, rev+1), since
 * a conditional update alone is not atomic on FerretDB; a concurrent change is refused, not overwritten.
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
  const claim = await tryClaim(`plan:${id}:${plan.rev + 1}`);
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
  const branches = await Branch.find({ bankId: r.bankId, code: { $in: codes } }, { region: 1 }).lean();
  return { regions: [...new Set(branches.map((b) => b.region))], branchCodes: codes };
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

async function toViews(rows: LeanPlan[]): Promise<PlanView[]> {
  const book = new OutcomeBook();
  const bankIds = [...new Set(rows.map((r) => String(r.bankId)))];
  const items = new Map(await Promise.all(bankIds.map(async (b) => [b, await bankItems(b)] as const)));
  const zones = new Map(
    (await Bank.find({ _id: { $in: bankIds } }, { timezone: 1 }).lean()).map((b) => [String(b._id), b.timezone]),
  );
  await book.prepare(
    rows.map((r) => ({
      area: { bankId: String(r.bankId), scopeType: r.scopeType, region: r.region, branchCode: r.branchCode },
      quarter: r.quarter,
    })),
  );
  const out: PlanView[] = [];
  for (const r of rows) {
    const bankId = String(r.bankId);
    const area: PlanArea = { bankId, scopeType: r.scopeType, region: r.region, branchCode: r.branchCode };
    const today =
      DateTime.now()
        .setZone(zones.get(bankId) ?? 'Asia/Shanghai')
        .toISODate() ?? '';
    out.push({
      id: String(r._id),
      bankId,
      quarter: r.quarter,
      kind: r.kind,
      itemKey: r.itemKey,
      sectionKey: r.sectionKey,
      itemText: items.get(bankId)?.get(r.itemKey)?.text ?? { zh: r.itemKey, en: r.itemKey },
      visitId: r.visitId || null,
      scope: {
        type: r.scopeType,
        ...(r.region ? { region: r.region } : {}),
        ...(r.branchCode ? { branchCode: r.branchCode } : {}),
      },
      action: r.action,
      owner: r.owner,
      dueDate: r.dueDate,
      status: r.status,
      overdue: r.status === 'open' && r.dueDate < today,
      doneAt: r.doneAt ? new Date(r.doneAt).toISOString() : null,
      createdBy: String(r.createdBy),
      createdAt: new Date(r.createdAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
      rev: r.rev,
      history: r.history.map((h) => ({
        at: new Date(h.at).toISOString(),
        by: String(h.by),
        action: h.action,
        changes: h.changes ?? [],
      })),
      outcome: await book.outcome(area, r.itemKey, r.quarter),
    });
  }
  return out;
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
export type { PlanKind, PlanScope, PlanStatus };
