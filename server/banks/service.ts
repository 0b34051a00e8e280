import { Types } from 'mongoose';
import { assertBankVisible, isBankRole, scopeFilter, type Principal } from '../platform/access';
import { config } from '../platform/config';
import { upsertAllOrNothing, validateRows, type ImportResult } from '../platform/db/bulk-import';
import { isDuplicateKey, unlessDuplicate } from '../platform/db/duplicate-key';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { afterKeys, keyCursor, pageLimit, toPage, type Page, type PageQuery } from '../platform/http/paging';
import { readTabular } from '../platform/tabular';
import { DEFAULT_GEOFENCE_M } from '../rules/location';
import { forgetBankTimezone, forgetBranchNames, forgetBranchStaff } from './lookups';
import { applyMoves, noteMoves } from './moves';
import { Bank, Branch, Staff } from './model';
import {
  branchRow,
  staffRow,
  type BranchInput,
  type CreateBankInput,
  type StaffInput,
  type UpdateBankInput,
} from './schema';

export interface BankView {
  id: string;
  code: string;
  name: string;
  timezone: string;
  language: string;
  reportRecipients: string[];
  alertRecipients: string[];
  geofenceMeters: number;
}
export interface BranchView {
  id: string;
  bankId: string;
  code: string;
  name: string;
  region: string;
  city?: string | null;
  lat?: number | null;
  lng?: number | null;
  active: boolean;
}
export interface StaffView {
  id: string;
  bankId: string;
  employeeId: string;
  name: string;
  branchCode: string;
  region: string;
  position?: string | null;
  active: boolean;
}

type WithId = { _id: unknown };
const bankView = (
  b: WithId &
    Omit<BankView, 'id' | 'alertRecipients' | 'geofenceMeters'> & {
      alertRecipients?: string[] | null;
      geofenceMeters?: number | null;
    },
): BankView => ({
  id: String(b._id),
  code: b.code,
  name: b.name,
  timezone: b.timezone,
  language: b.language,
  reportRecipients: b.reportRecipients,
  alertRecipients: b.alertRecipients ?? [],
  geofenceMeters: b.geofenceMeters ?? DEFAULT_GEOFENCE_M,
});
const branchView = (b: WithId & { bankId: unknown } & Omit<BranchView, 'id' | 'bankId'>): BranchView => ({
  id: String(b._id),
  bankId: String(b.bankId),
  code: b.code,
  name: b.name,
  region: b.region,
  city: b.city ?? undefined,
  ...(typeof b.lat === 'number' && typeof b.lng === 'number' ? { lat: b.lat, lng: b.lng } : {}),
  active: b.active,
});
const staffView = (s: WithId & { bankId: unknown } & Omit<StaffView, 'id' | 'bankId'>): StaffView => ({
  id: String(s._id),
  bankId: String(s.bankId),
  employeeId: s.employeeId,
  name: s.name,
  branchCode: s.branchCode,
  region: s.region,
  position: s.position ?? undefined,
  active: s.active,
});

function duplicate(field: string, value: string): ConflictError {
  return new ConflictError(`${field} "${value}" already exists`, 'duplicate', [{ field, message: 'already exists' }]);
}

/** Loads a bank the caller may see, or 404 (ids that are not ObjectIds are simply not found). */
export async function getBank(p: Principal, bankId: string): Promise<BankView> {
  if (!Types.ObjectId.isValid(bankId)) throw new NotFoundError('Bank');
  assertBankVisible(p, bankId);
  const bank = await Bank.findById(bankId).lean();
  if (!bank) throw new NotFoundError('Bank');
  return bankView(bank);
}

export async function listBanks(p: Principal): Promise<BankView[]> {
  const filter = isBankRole(p.role) ? { _id: p.bankId } : {};
  return (await Bank.find(filter).sort({ code: 1 }).lean()).map(bankView);
}

export async function createBank(input: CreateBankInput): Promise<BankView> {
  if (await Bank.exists({ code: input.code })) throw duplicate('code', input.code);
  return unlessDuplicate(
    async () => bankView((await Bank.create(input)).toObject()),
    () => {
      throw duplicate('code', input.code);
    },
  );
}

export async function updateBank(p: Principal, bankId: string, input: UpdateBankInput): Promise<BankView> {
  await getBank(p, bankId);
  const bank = await Bank.findByIdAndUpdate(bankId, { $set: input }, { new: true }).lean();
  forgetBankTimezone(bankId);
  if (!bank) throw new NotFoundError('Bank');
  return bankView(bank);
}

export async function createBranch(p: Principal, bankId: string, input: BranchInput): Promise<BranchView> {
  await getBank(p, bankId);
  if (await Branch.exists({ bankId, code: input.code })) throw duplicate('code', input.code);
  const created = await unlessDuplicate(
    async () => branchView((await Branch.create({ ...input, bankId })).toObject()),
    () => {
      throw duplicate('code', input.code);
    },
  );
  forgetBranchNames(bankId);
  return created;
}

/** A caller's filter narrows the scope filter and never replaces it: `?region=` must not widen a region scope. */
function within(scoped: Record<string, unknown>, narrow: Record<string, string | undefined>): Record<string, unknown> {
  const extra = Object.fromEntries(Object.entries(narrow).filter(([, v]) => v !== undefined && v !== ''));
  return Object.keys(extra).length ? { $and: [scoped, extra] } : scoped;
}

const BRANCH_ORDER = ['region', 'code'] as const; // code is unique in a bank
const STAFF_ORDER = ['branchCode', 'employeeId'] as const; // employeeId is unique in a bank

/** Every branch in scope, by region and code — for the pages' region lists and pickers. */
export async function allBranches(
  p: Principal,
  bankId: string,
  filter: { region?: string } = {},
): Promise<BranchView[]> {
  await getBank(p, bankId);
  const q = within({ bankId, ...scopeFilter(p, 'code') }, { region: filter.region });
  return (await Branch.find(q).sort({ region: 1, code: 1 }).lean()).map(branchView);
}

/** Branches in scope, one page at a time (see platform/http/paging). */
export async function listBranches(
  p: Principal,
  bankId: string,
  query: { region?: string } & PageQuery = {},
): Promise<Page<BranchView>> {
  await getBank(p, bankId);
  const q = within({ bankId, ...scopeFilter(p, 'code') }, { region: query.region });
  const rows = await Branch.find({ $and: [q, afterKeys(BRANCH_ORDER, query.cursor)] })
    .sort({ region: 1, code: 1 })
    .limit(pageLimit(query.limit))
    .lean();
  return toPage(
    rows,
    query.limit,
    (b) => keyCursor(b.region, b.code),
    (kept) => kept.map(branchView),
  );
}

export async function getBranch(p: Principal, bankId: string, code: string): Promise<BranchView> {
  await getBank(p, bankId);
  const b = await Branch.findOne({ $and: [{ bankId, ...scopeFilter(p, 'code') }, { code }] }).lean();
  if (!b) throw new NotFoundError('Branch');
  return branchView(b);
}

export async function listRegions(p: Principal, bankId: string): Promise<string[]> {
  const branches = await allBranches(p, bankId);
  return [...new Set(branches.map((b) => b.region))].sort();
}

async function branchRegions(bankId: string): Promise<Map<string, string>> {
  const rows = await Branch.find({ bankId }, { code: 1, region: 1 }).lean();
  return new Map(rows.map((r) => [r.code, r.region]));
}

export async function createStaff(p: Principal, bankId: string, input: StaffInput): Promise<StaffView> {
  await getBank(p, bankId);
  const branch = await Branch.findOne({ bankId, code: input.branchCode }).lean();
  if (!branch)
    throw new ValidationError([{ field: 'branchCode', message: `no branch "${input.branchCode}" in this bank` }]);
  if (await Staff.exists({ bankId, employeeId: input.employeeId })) throw duplicate('employeeId', input.employeeId);
  try {
    const created = await Staff.create({ ...input, bankId, region: branch.region });
    forgetBranchStaff(bankId);
    return staffView(created.toObject());
  } catch (e) {
    if (isDuplicateKey(e)) throw duplicate('employeeId', input.employeeId);
    throw e;
  }
}

/** Staff in scope, by branch and employee id, one page at a time (see platform/http/paging). */
export async function listStaff(
  p: Principal,
  bankId: string,
  query: { branchCode?: string; region?: string } & PageQuery = {},
): Promise<Page<StaffView>> {
  await getBank(p, bankId);
  const q = within({ bankId, ...scopeFilter(p) }, { branchCode: query.branchCode, region: query.region });
  const rows = await Staff.find({ $and: [q, afterKeys(STAFF_ORDER, query.cursor)] })
    .sort({ branchCode: 1, employeeId: 1 })
    .limit(pageLimit(query.limit))
    .lean();
  return toPage(
    rows,
    query.limit,
    (s) => keyCursor(s.branchCode, s.employeeId),
    (kept) => kept.map(staffView),
  );
}

const rejected = (errors: ImportResult['errors']): ImportResult => ({ created: 0, updated: 0, errors, rejected: true });

/** Branch import: every row is checked first; a file with any bad row writes nothing. */
export async function importBranches(p: Principal, bankId: string, file: Buffer): Promise<ImportResult> {
  await getBank(p, bankId);
  const rows = await readTabular(
    file,
    { required: ['code', 'name', 'region'], optional: ['city', 'lat', 'lng'] },
    config().IMPORT_MAX_ROWS,
  );
  const { valid, errors } = validateRows(rows, branchRow, (b) => b.code);
  if (errors.length) return rejected(errors);
  const bankOid = new Types.ObjectId(bankId);
  const before = await branchRegions(bankId);
  const moves = valid
    .filter(({ value }) => before.has(value.code) && before.get(value.code) !== value.region)
    .map(({ value }) => ({ branchCode: value.code, to: value.region }));
  await noteMoves(bankId, moves);
  const result = await upsertAllOrNothing(
    Branch,
    valid.map(({ value }) => ({
      filter: { bankId: bankOid, code: value.code },
      set: {
        bankId: bankOid,
        code: value.code,
        name: value.name,
        region: value.region,
        ...(value.city ? { city: value.city } : {}),
        ...(value.lat !== undefined && value.lng !== undefined ? { lat: value.lat, lng: value.lng } : {}),
        active: true,
      },
    })),
  );
  forgetBranchNames(bankId);
  await syncStaffRegions(bankId);
  if (moves.length) await applyMoves(bankId);
  return { ...result, errors: [], rejected: false };
}

/** A branch moved to another region takes its staff along (staff carry the region for scope filters). */
async function syncStaffRegions(bankId: string): Promise<void> {
  const regions = await branchRegions(bankId);
  const byRegion = new Map<string, string[]>();
  for (const [code, region] of regions) byRegion.set(region, [...(byRegion.get(region) ?? []), code]);
  for (const [region, codes] of byRegion) {
    await Staff.updateMany({ bankId, branchCode: { $in: codes }, region: { $ne: region } }, { $set: { region } });
  }
  forgetBranchStaff(bankId);
}

export async function importStaff(p: Principal, bankId: string, file: Buffer): Promise<ImportResult> {
  await getBank(p, bankId);
  const rows = await readTabular(
    file,
    { required: ['employeeId', 'name', 'branchCode'], optional: ['position'] },
    config().IMPORT_MAX_ROWS,
  );
  const { valid, errors } = validateRows(rows, staffRow, (s) => s.employeeId);
  const regions = await branchRegions(bankId);
  for (const v of valid) {
    if (!regions.has(v.value.branchCode))
      errors.push({ row: v.row, message: `branchCode: no branch "${v.value.branchCode}" in this bank` });
  }
  if (errors.length) return rejected(errors.sort((a, b) => a.row - b.row));
  const bankOid = new Types.ObjectId(bankId);
  const result = await upsertAllOrNothing(
    Staff,
    valid.map(({ value }) => ({
      filter: { bankId: bankOid, employeeId: value.employeeId },
      set: {
        bankId: bankOid,
        employeeId: value.employeeId,
        name: value.name,
        branchCode: value.branchCode,
        region: regions.get(value.branchCode) as string,
        ...(value.position ? { position: value.position } : {}),
        active: true,
      },
    })),
  );
  forgetBranchStaff(bankId);
  return { ...result, errors: [], rejected: false };
}

// ---- branches that moved region, followed by the features that copy a branch's region
export { applyMoves, onBranchMoved, type BranchMoved } from './moves';

// ---- facts other features read, and the lookups read on every visit write or view (kept briefly)
export * from './facts';
export { bankTimezone, branchNames, branchStaff } from './lookups';
