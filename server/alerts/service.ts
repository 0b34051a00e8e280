import { Types } from 'mongoose';
import { assertBankVisible, requireRole, scopeFilter, type Principal, type Role } from '../platform/access';
import { Alert, type AlertDoc } from './model';
import type { ListAlertsQuery } from './schema';

/**
 * Compliance alerts (SPEC §13), the door of this feature: when they are raised and withdrawn (rules.ts,
 * pure), recording one and queueing its e-mail (record.ts), the e-mail itself (mail.ts), and who may
 * read them: admins (every bank), bank managers (their bank, cut to their scope).
 */
export { alertTransitions, type AlertTransition } from './rules';
export { ALERT_MAIL, ALERT_WITHDRAWN_MAIL, recordTransition, type AlertVisit, type RecordedAlert } from './record';
export { composeAlertMail } from './mail';

export const ALERT_READERS: readonly Role[] = ['admin', 'bank_manager'];

export interface AlertView {
  id: string;
  visitId: string;
  bankId: string;
  branchCode: string;
  region: string;
  quarter: string;
  visitedAt: string;
  itemKeys: string[];
  status: 'sent' | 'withdrawn';
  createdAt: string;
  withdrawnAt?: string;
}

const LIST_LIMIT = 1000;

export function alertView(a: AlertDoc): AlertView {
  return {
    id: String(a._id),
    visitId: String(a.visitId),
    bankId: String(a.bankId),
    branchCode: a.branchCode,
    region: a.region,
    quarter: a.quarter,
    visitedAt: a.visitedAt.toISOString(),
    itemKeys: a.itemKeys,
    status: a.status as AlertView['status'],
    createdAt: a.raisedAt.toISOString(),
    ...(a.withdrawnAt ? { withdrawnAt: a.withdrawnAt.toISOString() } : {}),
  };
}

/** The alerts the caller may see, newest first (a bank manager's are cut to their bank and scope). */
export async function listAlerts(p: Principal, q: ListAlertsQuery = {}): Promise<AlertView[]> {
  requireRole(p, ALERT_READERS);
  const filter: Record<string, unknown> = { ...scopeFilter(p) };
  if (q.bankId) {
    assertBankVisible(p, q.bankId);
    filter.bankId = new Types.ObjectId(q.bankId);
  } else if (filter.bankId) filter.bankId = new Types.ObjectId(String(filter.bankId));
  if (q.quarter) filter.quarter = q.quarter;
  const rows = await Alert.find(filter).sort({ raisedAt: -1, _id: -1 }).limit(LIST_LIMIT).lean<AlertDoc[]>();
  return rows.map(alertView);
}
