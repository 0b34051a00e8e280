/**
 * One clock for every page (issue 20): a time is shown to the minute in one named zone — the bank's,
 * or the viewer's when they chose one — and never without the zone's name, so "14:51" on one page
 * and "06:51" on another can no longer both mean the same moment. Pure: pages, exports and tests
 * format alike.
 */
import { DateTime } from 'luxon';

const MINUTE = 'yyyy-MM-dd HH:mm';
const DAY = 'yyyy-MM-dd';

// No time (null, undefined, '') parses as an invalid DateTime, and so shows as nothing.
const parse = (v: Date | string | null | undefined): DateTime =>
  v instanceof Date
    ? DateTime.fromJSDate(v)
    : // Stryker disable next-line StringLiteral: equivalent, any text in place of '' is no ISO time either and parses as invalid, so no time still shows as nothing
      DateTime.fromISO(v ?? '');

function zoned(v: Date | string | null | undefined, zone: string): DateTime | null {
  const dt = parse(v);
  if (!dt.isValid) return null;
  const z = dt.setZone(zone);
  return z.isValid ? z : dt.setZone('UTC');
}

/** "2026-12-05 14:51 (Asia/Shanghai)"; empty for no time. */
export function clockText(v: Date | string | null | undefined, zone: string): string {
  const dt = zoned(v, zone);
  return dt ? `${dt.toFormat(MINUTE)} (${dt.zoneName})` : '';
}

/** Two times of one span with the zone named once: "2026-12-01 09:00 – 2026-12-10 18:00 (Asia/Shanghai)". */
export function clockSpan(from: Date | string | null | undefined, to: Date | string | null | undefined, zone: string) {
  const a = zoned(from, zone);
  const b = zoned(to, zone);
  if (!a || !b) return clockText(from ?? to, zone);
  return `${a.toFormat(MINUTE)} – ${b.toFormat(MINUTE)} (${b.zoneName})`;
}

/** A calendar day in the zone (no time of day, so no zone label is needed): "2026-12-05". */
export function clockDay(v: Date | string | null | undefined, zone: string): string {
  return zoned(v, zone)?.toFormat(DAY) ?? '';
}
