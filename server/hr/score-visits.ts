import { DateTime } from 'luxon';
import { bankTimezone, branchNamesIn, findStaff } from '../banks/service';
import { canSeeBranch, type Principal } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import { staffVisitsOf, type StaffVisit } from '../stats/service';
import { auditorCodesOf } from '../users/service';

/**
 * The visits a staff member's quarter score rests on, for HR (issue 18: "the visits a score rests on
 * listed for HR, auditors pseudonymous"): when, where, the visit's total, whether it is disputed, and
 * the auditor only by the pseudonym banks see (SPEC §1, §13) — never a name, e-mail or user id.
 * Read from the kept statistics (the members' branches only), cut to the caller's scope exactly as
 * the staff scores are, so each list holds the n visits the score is the mean of. Callers check roles.
 */
export interface ScoreVisit {
  visitId: string;
  /** ISO-8601 in the bank's time zone, with its offset. */
  visitedAt: string;
  branchCode: string;
  branchName: string;
  total: number | null;
  /** The auditor's pseudonym; null for an auditor without one. */
  auditorCode: string | null;
  disputed: boolean;
}

export interface ScoreVisits {
  employeeId: string;
  name: string;
  quarter: string;
  timezone: string;
  visits: ScoreVisit[];
}

/** The listed visits of several staff members (the export), by employee id. */
export async function scoreVisitsOfMany(
  p: Principal,
  bankId: string,
  quarter: string,
  employeeIds: ReadonlySet<string>,
): Promise<{ timezone: string; byStaff: Map<string, ScoreVisit[]> }> {
  const timezone = (await bankTimezone(bankId)) ?? 'Asia/Shanghai';
  const kept = await staffVisitsOf(bankId, quarter, employeeIds, (code, region) =>
    canSeeBranch(p, { bankId, code, region }),
  );
  const all = [...kept.values()].flat();
  const [codes, names] = await Promise.all([
    auditorCodesOf([...new Set(all.map((v) => v.auditorId))]),
    branchNamesIn(bankId, new Set(all.map((v) => v.branchCode))),
  ]);
  const view = (v: StaffVisit): ScoreVisit => ({
    visitId: v.visitId,
    visitedAt: DateTime.fromISO(v.visitedAt).setZone(timezone).toISO({ suppressMilliseconds: true }) ?? v.visitedAt,
    branchCode: v.branchCode,
    branchName: names.get(v.branchCode) ?? v.branchCode,
    total: v.total,
    auditorCode: codes.get(v.auditorId) || null,
    disputed: v.disputed,
  });
  return { timezone, byStaff: new Map([...kept].map(([id, list]) => [id, list.map(view)])) };
}

/** One staff member's listed visits; 404 for a member unknown to the bank or outside the caller's scope. */
export async function scoreVisitsOf(
  p: Principal,
  bankId: string,
  quarter: string,
  employeeId: string,
): Promise<ScoreVisits> {
  const staff = await findStaff(bankId, employeeId);
  if (!staff || !canSeeBranch(p, { bankId, code: staff.branchCode, region: staff.region }))
    throw new NotFoundError('Staff member');
  const { timezone, byStaff } = await scoreVisitsOfMany(p, bankId, quarter, new Set([employeeId]));
  return { employeeId, name: staff.name, quarter, timezone, visits: byStaff.get(employeeId) ?? [] };
}
