import { BoundedCache } from '../platform/cache';
import { Branch, Staff } from './model';

/**
 * A bank's branches (code → name, region) and staff (employee id → name, branch, region), read whole
 * and kept for a minute: results, HR and reports name hundreds of branches and staff per request, and
 * looking them up one filter at a time costs more than reading the bank's list once. The instance that
 * changes a bank's branches or staff forgets its directory at once; others within a minute.
 */
export interface BranchEntry {
  code: string;
  name: string;
  region: string;
  /** The branch's position (SPEC §9), when the bank gave it. */
  lat?: number;
  lng?: number;
}

export interface StaffEntry {
  employeeId: string;
  name: string;
  branchCode: string;
  region: string;
}

const TTL_MS = 60_000;
const branches = new BoundedCache<string, Promise<ReadonlyMap<string, BranchEntry>>>({ limit: 100, ttlMs: TTL_MS });
const staff = new BoundedCache<string, Promise<ReadonlyMap<string, StaffEntry>>>({ limit: 100, ttlMs: TTL_MS });

/** One load per bank at a time; a failed load is forgotten so that the next call tries again. */
function kept<T>(cache: BoundedCache<string, Promise<T>>, bankId: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(bankId);
  if (hit) return hit;
  const loading = load();
  cache.set(bankId, loading);
  loading.catch(() => cache.delete(bankId));
  return loading;
}

export function branchDirectory(bankId: string): Promise<ReadonlyMap<string, BranchEntry>> {
  return kept(branches, bankId, async () => {
    const out = new Map<string, BranchEntry>();
    const rows = Branch.find({ bankId }, { code: 1, name: 1, region: 1, lat: 1, lng: 1 })
      .lean()
      .cursor({ batchSize: 2000 });
    for await (const b of rows) {
      const { lat, lng } = b;
      const placed = typeof lat === 'number' && typeof lng === 'number';
      out.set(b.code, { code: b.code, name: b.name, region: b.region, ...(placed ? { lat, lng } : {}) });
    }
    return out;
  });
}

export function staffDirectory(bankId: string): Promise<ReadonlyMap<string, StaffEntry>> {
  return kept(staff, bankId, async () => {
    const out = new Map<string, StaffEntry>();
    const rows = Staff.find({ bankId }, { employeeId: 1, name: 1, branchCode: 1, region: 1 })
      .lean()
      .cursor({ batchSize: 2000 });
    for await (const s of rows)
      out.set(s.employeeId, { employeeId: s.employeeId, name: s.name, branchCode: s.branchCode, region: s.region });
    return out;
  });
}

/** After branches (or staff) of a bank were created, imported, renamed or moved in this process. */
export function forgetDirectories(bankId?: string): void {
  if (!bankId) {
    branches.clear();
    staff.clear();
    return;
  }
  branches.delete(bankId);
  staff.delete(bankId);
}
