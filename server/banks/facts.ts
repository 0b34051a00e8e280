import { Types } from 'mongoose';
import { scopeFilter, type Principal } from '../platform/access';
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

export interface BranchFacts {
  code: string;
  name: string;
  region: string;
}

/** One branch of a bank, without a scope check (the caller checks what it shows), or null. */
export async function findBranch(bankId: string, code: string): Promise<BranchFacts | null> {
  const b = await Branch.findOne({ bankId, code }, { code: 1, name: 1, region: 1 }).lean();
  return b ? { code: b.code, name: b.name, region: b.region } : null;
}

/** Whether the bank has a branch in `region` (one that `visibleTo` may see, when given). */
export async function hasBranchInRegion(bankId: string, region: string, visibleTo?: Principal): Promise<boolean> {
  const filter = visibleTo ? { $and: [{ bankId, region }, scopeFilter(visibleTo, 'code')] } : { bankId, region };
  return Boolean(await Branch.exists(filter));
}

/** The distinct regions of some branches of a bank. */
export async function regionsOfBranches(bankId: string, codes: readonly string[]): Promise<string[]> {
  const rows = await Branch.find({ bankId, code: { $in: codes } }, { region: 1 }).lean();
  return [...new Set(rows.map((b) => b.region))];
}

/** A huge `$in` list is slower than streaming the bank's records and picking the wanted keys. */
const byKeys = (bankId: string, field: string, keys: ReadonlySet<string>) =>
  keys.size <= 500 ? { bankId, [field]: { $in: [...keys] } } : { bankId };

/** Names of some branches of a bank, by code (a code without a branch is absent). */
export async function branchNamesIn(bankId: string, codes: ReadonlySet<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (codes.size === 0) return out;
  for await (const b of Branch.find(byKeys(bankId, 'code', codes), { code: 1, name: 1 })
    .lean()
    .cursor({ batchSize: 1000 })) {
    if (codes.has(b.code)) out.set(b.code, b.name);
  }
  return out;
}

/** Names and branches of some staff members of a bank, by employee id (an unknown id is absent). */
export async function staffNamesIn(
  bankId: string,
  ids: ReadonlySet<string>,
): Promise<Map<string, { name: string; branchCode: string }>> {
  const out = new Map<string, { name: string; branchCode: string }>();
  if (ids.size === 0) return out;
  for await (const s of Staff.find(byKeys(bankId, 'employeeId', ids), { employeeId: 1, name: 1, branchCode: 1 })
    .lean()
    .cursor({ batchSize: 1000 })) {
    if (ids.has(s.employeeId)) out.set(s.employeeId, { name: s.name, branchCode: s.branchCode });
  }
  return out;
}

/** One staff member of a bank, without a scope check (the caller checks what it shows), or null. */
export async function findStaff(
  bankId: string,
  employeeId: string,
): Promise<{ employeeId: string; name: string; branchCode: string; region: string } | null> {
  const s = await Staff.findOne({ bankId, employeeId }, { employeeId: 1, name: 1, branchCode: 1, region: 1 }).lean();
  return s ? { employeeId: s.employeeId, name: s.name, branchCode: s.branchCode, region: s.region } : null;
}

/** Active branches per bank id (the admin overview's coverage). */
export async function activeBranchCounts(): Promise<Map<string, number>> {
  const rows = await Branch.aggregate<{ _id: unknown; n: number }>([
    { $match: { active: true } },
    { $group: { _id: '$bankId', n: { $sum: 1 } } },
  ]);
  return new Map(rows.map((b) => [String(b._id), b.n]));
}

// ---- for publishing

/** How many branches each region of the bank has (visited or not), for the reports' coverage figures. */
export async function regionSizes(bankId: string): Promise<Map<string, number>> {
  const rows = await Branch.aggregate<{ _id: string; n: number }>([
    { $match: { bankId: new Types.ObjectId(bankId) } },
    { $group: { _id: '$region', n: { $sum: 1 } } },
  ]);
  return new Map(rows.map((r) => [r._id, r.n]));
}
