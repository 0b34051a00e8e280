import { BoundedCache } from '../platform/cache';
import { forgetDirectories } from './directory';
import { Bank, Branch, Staff } from './model';

/**
 * Branch display names for visit and assignment views, kept briefly in memory. Every single-visit
 * response needs its branch's name, and FerretDB 1.24 answers a {bankId, code} filter by decoding
 * every branch of every bank (it uses an index only for exactly {_id}) — with 25,000 branches that
 * is most of a request's time. Names are display-only; a rename shows everywhere within TTL_MS
 * (at once in the process that imported it).
 */
const TTL_MS = 60_000;
const LIMIT = 20_000;
const names = new BoundedCache<string, string>({ limit: LIMIT, ttlMs: TTL_MS });

const keyOf = (bankId: string, code: string) => `${bankId}|${code}`;

/** Names keyed "bankId|code"; a branch without a record is simply absent. */
export async function branchNames(pairs: { bankId: string; code: string }[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const missing = new Map<string, { bankId: string; code: string }>();
  for (const p of pairs) {
    const key = keyOf(p.bankId, p.code);
    const hit = names.get(key);
    if (hit !== undefined) out.set(key, hit);
    else missing.set(key, p);
  }
  if (missing.size === 0) return out;
  const wanted = [...missing.values()];
  const rows = await Branch.find(
    {
      bankId: { $in: [...new Set(wanted.map((w) => w.bankId))] },
      code: { $in: [...new Set(wanted.map((w) => w.code))] },
    },
    { bankId: 1, code: 1, name: 1 },
  ).lean();
  for (const b of rows) {
    const key = keyOf(String(b.bankId), b.code);
    if (!missing.has(key)) continue;
    out.set(key, b.name);
    names.set(key, b.name);
  }
  return out;
}

/** After branches of a bank were created or renamed in this process. */
export function forgetBranchNames(bankId?: string): void {
  forgetDirectories(bankId);
  if (!bankId) return names.clear();
  names.deleteWhere((key) => key.startsWith(`${bankId}|`));
}

/**
 * Bank time zones (they decide a visit's quarter), read on every visit write. Kept for TTL_MS like the
 * names; changing a bank's zone is a set-up step, and the instance that makes it forgets at once.
 */
const zones = new BoundedCache<string, string>({ limit: LIMIT, ttlMs: TTL_MS });

export async function bankTimezone(bankId: string): Promise<string | null> {
  const zone = await zones.getOrLoad(
    bankId,
    async () => (await Bank.findById(bankId, { timezone: 1 }).lean())?.timezone,
  );
  return zone ?? null;
}

export function forgetBankTimezone(bankId: string): void {
  zones.delete(bankId);
}

/**
 * Who works at a branch (employeeId → name), checked on every visit write that names staff. FerretDB
 * answers {bankId, branchCode} by decoding every staff record of every bank, so a branch's list is kept
 * for TTL_MS. Only knowing someone is trusted from memory: an id not in the kept list is looked up
 * again before it is refused, so staff added elsewhere are accepted at once; someone moved away is
 * still accepted for at most TTL_MS (at once refused in the process that imported the change).
 */
const staffByBranch = new BoundedCache<string, Map<string, string>>({ limit: LIMIT, ttlMs: TTL_MS });

export async function branchStaff(
  bankId: string,
  branchCode: string,
  employeeIds: string[],
): Promise<Map<string, string>> {
  const key = keyOf(bankId, branchCode);
  const hit = staffByBranch.get(key);
  if (hit && employeeIds.every((id) => hit.has(id))) return hit;
  const rows = await Staff.find({ bankId, branchCode }, { employeeId: 1, name: 1 }).lean();
  const staff = new Map(rows.map((r) => [r.employeeId, r.name]));
  staffByBranch.set(key, staff);
  return staff;
}

/** After staff of a bank were created, imported or moved in this process. */
export function forgetBranchStaff(bankId: string): void {
  forgetDirectories(bankId);
  staffByBranch.deleteWhere((key) => key.startsWith(`${bankId}|`));
}
