import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { bankTimezone } from '../banks/service';
import { bankVersionItems } from '../questionnaires/service';
import type { PlanKind, PlanScope, PlanStatus } from './model';
import { OutcomeBook, type PlanArea, type PlanOutcome } from './outcome';

/** A plan as every answer about it shows it: its item's wording, whether it is overdue, its outcome. */
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

export type LeanPlan = {
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

/** Every item any questionnaire version of the bank has had, with its section and latest wording. */
export async function bankItems(
  bankId: string,
): Promise<Map<string, { sectionKey: string; text: { zh: string; en: string } }>> {
  const out = new Map<string, { sectionKey: string; text: { zh: string; en: string } }>();
  for (const v of await bankVersionItems(bankId)) {
    for (const s of v.sections) for (const i of s.items) out.set(i.key, { sectionKey: s.key, text: i.text });
  }
  return out;
}

export async function toViews(rows: LeanPlan[]): Promise<PlanView[]> {
  const book = new OutcomeBook();
  const bankIds = [...new Set(rows.map((r) => String(r.bankId)))];
  const items = new Map(await Promise.all(bankIds.map(async (b) => [b, await bankItems(b)] as const)));
  const zones = new Map(await Promise.all(bankIds.map(async (b) => [b, await bankTimezone(b)] as const)));
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
