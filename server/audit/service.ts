import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { isBankRole, type Principal } from '../platform/access';
import { ForbiddenError } from '../platform/errors';
import { afterCursor, pageLimit, timeCursor, toPage, type Page } from '../platform/http/paging';
import { actionsMatching } from './actions';
import { AuditEntry, type StoredAuditEntry } from './model';
import { entryView, type AuditEntryView } from './view';
import { record, type AuditActor } from './recorder';
import type { AuditQuery } from './schema';

/**
 * The audit log's door. Other features record through `record` (recorder.ts: never fails the action,
 * never fails silently); admins read every entry, a whole-bank manager the entries of their own bank's
 * users. Nothing here (or anywhere) edits or deletes an entry.
 */
/** The actor of an entry from a signed-in principal. */
export function auditActor(p: Principal): AuditActor {
  return { id: p.id, email: p.email, role: p.role, bankId: p.bankId ?? null };
}

export { record, auditHealth, retryWaitingEntries, type AuditActor, type AuditEvent } from './recorder';
export { AUDIT_ACTIONS, AUDIT_FAMILIES, type AuditAction } from './actions';

/** Who may read the log: admins all of it, a whole-bank manager their own bank's users' entries. */
export function canReadAuditLog(p: Principal): boolean {
  return p.role === 'admin' || (p.role === 'bank_manager' && p.scope?.type === 'bank' && Boolean(p.bankId));
}

function readerFilter(p: Principal): Record<string, unknown> {
  if (!canReadAuditLog(p)) throw new ForbiddenError('Only admins and whole-bank managers read the audit log');
  return isBankRole(p.role) ? { actorBankId: p.bankId } : {};
}

/** A day means from its first moment (`from`) or to its end (`to`), in the reader's zone. */
function instant(v: string, zone: string, endOfDay: boolean): Date {
  if (!/^\d{4}-\d\d-\d\d$/.test(v)) return new Date(v);
  const day = DateTime.fromISO(v, { zone });
  return (endOfDay ? day.endOf('day') : day.startOf('day')).toJSDate();
}

function queryFilter(q: AuditQuery, zone: string): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  const at: Record<string, Date> = {};
  if (q.from) at.$gte = instant(q.from, zone, false);
  if (q.to) at.$lte = instant(q.to, zone, true);
  if (Object.keys(at).length) f.at = at;
  if (q.actor) {
    f[Types.ObjectId.isValid(q.actor) && q.actor.length === 24 ? 'actorId' : 'actorEmail'] = q.actor.toLowerCase();
  }
  if (q.action) f.action = { $in: actionsMatching(q.action) };
  return f;
}

/** The newest entries first, a page at a time (`zone` reads a bare date in `from`/`to`). */
export async function listEntries(p: Principal, q: AuditQuery, zone: string): Promise<Page<AuditEntryView>> {
  const filter = { ...readerFilter(p), ...queryFilter(q, zone), ...afterCursor('at', -1, q.cursor) };
  const rows = (await AuditEntry.find(filter)
    .sort({ at: -1, _id: -1 })
    .limit(pageLimit(q.limit))
    .lean()) as StoredAuditEntry[];
  return toPage(
    rows,
    q.limit,
    (r) => timeCursor(r.at, r._id),
    (kept) => kept.map(entryView),
  );
}

/** Every entry the filter selects (no paging), newest first, for an export; at most `max`. */
export async function entriesForExport(
  p: Principal,
  q: AuditQuery,
  zone: string,
  max = 100_000,
): Promise<AuditEntryView[]> {
  const filter = { ...readerFilter(p), ...queryFilter({ ...q, cursor: undefined }, zone) };
  const rows = (await AuditEntry.find(filter).sort({ at: -1, _id: -1 }).limit(max).lean()) as StoredAuditEntry[];
  return rows.map(entryView);
}

/** Records that the log itself was exported (who read what, with which filter). */
export function noteExport(p: Principal, q: AuditQuery, rows: number): Promise<void> {
  return record({
    action: 'audit.exported',
    actor: p,
    target: { type: 'audit_log', label: `${rows} entries` },
    bankId: p.bankId ?? null,
    after: { filter: { ...q, cursor: undefined }, rows },
  });
}

export { auditCsv } from './csv';
export { entryView, type AuditEntryView } from './view';
