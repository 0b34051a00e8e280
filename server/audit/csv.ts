import { DateTime } from 'luxon';
import type { AuditEntryView } from './view';

/**
 * The audit log as CSV for a bank's security team: UTF-8 with a BOM (Excel), CRLF, one line per
 * entry, times in the reader's zone with the offset written out, before/after as JSON text.
 */
const COLUMNS = [
  'at',
  'action',
  'outcome',
  'actorId',
  'actorEmail',
  'actorRole',
  'ip',
  'targetType',
  'targetId',
  'targetLabel',
  'before',
  'after',
  'note',
];

/** A text that a spreadsheet would run as a formula is prefixed with an apostrophe (CSV injection). */
function field(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function auditCsv(rows: AuditEntryView[], zone: string): Buffer {
  const lines = rows.map((r) =>
    [
      DateTime.fromISO(r.at).setZone(zone).toISO(),
      r.action,
      r.outcome,
      r.actorId,
      r.actorEmail,
      r.actorRole,
      r.ip,
      r.target.type,
      r.target.id,
      r.target.label,
      r.before,
      r.after,
      r.note,
    ]
      .map(field)
      .join(','),
  );
  return Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from(`${[COLUMNS.join(','), ...lines].join('\r\n')}\r\n`, 'utf8'),
  ]);
}
