import { Types } from 'mongoose';
import { canSeeBranch, type Principal } from '../platform/access';
import { branchDirectory, staffDirectory, type BranchEntry, type StaffEntry } from './directory';
import { DEFAULT_GEOFENCE_M } from '../rules/location';
import { Bank, Branch, Staff } from './model';

/**
 * Facts about banks, branches and staff that other features read (through the door, service.ts):
 * no principal unless said, the caller has checked what it may show.
 */
/** Any bank at all (the demo seed only fills an empty database). */
export async function anyBankExists(): Promise<boolean> {
  return Boolean(await Bank.exists({}));
}

/** Staff of some banks with their branch (the demo seed picks who served each visit). */
export async function staffOfBanks(
  bankIds: readonly string[],
): Promise<{ bankId: string; branchCode: string; employeeId: string; position?: string | null }[]> {
  const rows = await Staff.find(
    { bankId: { $in: [...bankIds] } },
    { bankId: 1, branchCode: 1, employeeId: 1, position: 1 },
  ).lean();
  return rows.map((s) => ({
    bankId: String(s.bankId),
    branchCode: s.branchCode,
    employeeId: s.employeeId,
    position: s.position,
  }));
}

// ---- facts other features check (no principal: the caller has checked access)

/** A bank by its code, as people type it (sign-in with the bank's own provider starts so). */
export async function bankByCode(code: string): Promise<{ id: string; code: string; name: string } | null> {
  const typed = code.trim();
  const b = await Bank.findOne({ code: { $in: [typed, typed.toUpperCase()] } }, { code: 1, name: 1 }).lean();
  return b ? { id: String(b._id), code: b.code, name: b.name } : null;
}

/** A bank's code and name by id, or null. */
export async function bankNameOf(bankId: string): Promise<{ id: string; code: string; name: string } | null> {
  if (!Types.ObjectId.isValid(bankId)) return null;
  const b = await Bank.findById(bankId, { code: 1, name: 1 }).lean();
  return b ? { id: String(b._id), code: b.code, name: b.name } : null;
}

export async function bankExists(bankId: string): Promise<boolean> {
  return Types.ObjectId.isValid(bankId) && Boolean(await Bank.exists({ _id: bankId }));
}

export async function regionExists(bankId: string, region: string): Promise<boolean> {
  return Boolean(await Branch.exists({ bankId, region }));
}

/** Which of these branch codes exist in the bank. */
export async function existingBranchCodes(bankId: string, codes: readonly string[]): Promise<Set<string>> {
  const rows = await Branch.find({ bankId, code: { $in: [...codes] } }, { code: 1 }).lean();
  return new Set(rows.map((b) => b.code));
}

// ---- for results (also used by hr and actions)

export type BranchFacts = BranchEntry;

/** One branch of a bank, without a scope check (the caller checks what it shows), or null. */
export async function findBranch(bankId: string, code: string): Promise<BranchFacts | null> {
  return (await branchDirectory(bankId)).get(code) ?? null;
}

/** Whether the bank has a branch in `region` (one that `visibleTo` may see, when given). */
export async function hasBranchInRegion(bankId: string, region: string, visibleTo?: Principal): Promise<boolean> {
  for (const b of (await branchDirectory(bankId)).values())
    if (b.region === region && (!visibleTo || canSeeBranch(visibleTo, { bankId, code: b.code, region }))) return true;
  return false;
}

/** The distinct regions of some branches of a bank. */
export async function regionsOfBranches(bankId: string, codes: readonly string[]): Promise<string[]> {
  const dir = await branchDirectory(bankId);
  return [...new Set(codes.map((c) => dir.get(c)?.region).filter((r): r is string => r !== undefined))];
}

/** Names of some branches of a bank, by code (a code without a branch is absent). */
export async function branchNamesIn(bankId: string, codes: ReadonlySet<string>): Promise<Map<string, string>> {
  const dir = await branchDirectory(bankId);
  const out = new Map<string, string>();
  for (const c of codes) {
    const b = dir.get(c);
    if (b) out.set(c, b.name);
  }
  return out;
}

/** Names and branches of some staff members of a bank, by employee id (an unknown id is absent). */
export async function staffNamesIn(
  bankId: string,
  ids: ReadonlySet<string>,
): Promise<Map<string, { name: string; branchCode: string }>> {
  const dir = await staffDirectory(bankId);
  const out = new Map<string, { name: string; branchCode: string }>();
  for (const id of ids) {
    const s = dir.get(id);
    if (s) out.set(id, { name: s.name, branchCode: s.branchCode });
  }
  return out;
}

/** One staff member of a bank, without a scope check (the caller checks what it shows), or null. */
export async function findStaff(bankId: string, employeeId: string): Promise<StaffEntry | null> {
  return (await staffDirectory(bankId)).get(employeeId) ?? null;
}

/** Every region of the bank with how many branches it has (visited or not). */
export async function regionSizes(bankId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const b of (await branchDirectory(bankId)).values()) out.set(b.region, (out.get(b.region) ?? 0) + 1);
  return out;
}

/** Active branches per bank id (the admin overview's coverage). */
export async function activeBranchCounts(): Promise<Map<string, number>> {
  const rows = await Branch.aggregate<{ _id: unknown; n: number }>([
    { $match: { active: true } },
    { $group: { _id: '$bankId', n: { $sum: 1 } } },
  ]);
  return new Map(rows.map((b) => [String(b._id), b.n]));
}

// ---- for alerts and webhooks (no principal: the caller decides what it sends where)

export interface BankNotifyFacts {
  id: string;
  code: string;
  name: string;
  timezone: string;
  language: 'zh' | 'en';
  alertRecipients: string[];
}

/** What a compliance alert or a webhook payload says about its bank, or null for an unknown bank. */
export async function bankNotifyFacts(bankId: string): Promise<BankNotifyFacts | null> {
  if (!Types.ObjectId.isValid(bankId)) return null;
  const b = await Bank.findById(bankId, { code: 1, name: 1, timezone: 1, language: 1, alertRecipients: 1 }).lean();
  if (!b) return null;
  return {
    id: String(b._id),
    code: b.code,
    name: b.name,
    timezone: b.timezone,
    language: b.language === 'en' ? 'en' : 'zh',
    alertRecipients: b.alertRecipients ?? [],
  };
}

/** Where a branch is and how far from it the bank allows (SPEC §9); no position when none was given. */
export async function branchPlace(
  bankId: string,
  code: string,
): Promise<{ position: { lat: number; lng: number } | null; geofenceMeters: number }> {
  const [branch, bank] = await Promise.all([
    findBranch(bankId, code),
    Types.ObjectId.isValid(bankId) ? Bank.findById(bankId, { geofenceMeters: 1 }).lean() : null,
  ]);
  const placed = branch?.lat !== undefined && branch.lng !== undefined;
  return {
    position: placed ? { lat: branch.lat as number, lng: branch.lng as number } : null,
    geofenceMeters: bank?.geofenceMeters ?? DEFAULT_GEOFENCE_M,
  };
}
