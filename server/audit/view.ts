import type { StoredAuditEntry } from './model';

/** An audit entry as the API and the pages show it (before/after parsed back from their JSON text). */
export interface AuditEntryView {
  id: string;
  at: string;
  action: string;
  outcome: 'success' | 'failure';
  actorId: string | null;
  actorEmail?: string;
  actorRole?: string;
  target: { type: string; id?: string; label?: string };
  bankId?: string;
  ip: string | null;
  userAgent?: string;
  before?: unknown;
  after?: unknown;
  note?: string;
}

const parsed = (s: string | null | undefined) => (s ? (JSON.parse(s) as unknown) : undefined);

export function entryView(e: StoredAuditEntry): AuditEntryView {
  return {
    id: String(e._id),
    at: e.at.toISOString(),
    action: e.action,
    outcome: e.outcome as 'success' | 'failure',
    actorId: e.actorId ?? null,
    ...(e.actorEmail ? { actorEmail: e.actorEmail } : {}),
    ...(e.actorRole ? { actorRole: e.actorRole } : {}),
    target: {
      type: e.target.type,
      ...(e.target.id ? { id: e.target.id } : {}),
      ...(e.target.label ? { label: e.target.label } : {}),
    },
    ...(e.bankId ? { bankId: e.bankId } : {}),
    ip: e.ip ?? null,
    ...(e.userAgent ? { userAgent: e.userAgent } : {}),
    ...(e.before ? { before: parsed(e.before) } : {}),
    ...(e.after ? { after: parsed(e.after) } : {}),
    ...(e.note ? { note: e.note } : {}),
  };
}
