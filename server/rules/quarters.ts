import { DateTime } from 'luxon';

/**
 * Quarters (SPEC §3): a visit belongs to the quarter of its visit time in the bank's time zone;
 * quarters are written `2026-Q3`. Pure functions, the only place quarters are computed.
 */
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

const QUARTER = /^(\d{4})-Q([1-4])$/;

export function isQuarter(s: string): boolean {
  return QUARTER.test(s);
}

/** The quarter a moment falls in, in the given time zone. */
export function quarterOf(at: Date, timezone = DEFAULT_TIMEZONE): string {
  const d = valid(DateTime.fromJSDate(at).setZone(timezone));
  return `${d.year}-Q${Math.ceil(d.month / 3)}`;
}

/** The quarter `by` quarters after (negative: before) `quarter`. */
export function shiftQuarter(quarter: string, by: number): string {
  const m = QUARTER.exec(quarter);
  if (!m) throw new Error(`not a quarter: ${quarter}`);
  const idx = Number(m[1]) * 4 + (Number(m[2]) - 1) + by;
  return `${Math.floor(idx / 4)}-Q${(idx % 4) + 1}`;
}

/** The last `count` quarters up to and including `quarter`, oldest first. */
export function trendQuarters(quarter: string, count = 4): string[] {
  return Array.from({ length: count }, (_, i) => shiftQuarter(quarter, i - count + 1));
}

/** The first moment of a quarter in the given time zone. */
export function quarterStart(quarter: string, timezone = DEFAULT_TIMEZONE): Date {
  const m = QUARTER.exec(quarter);
  if (!m) throw new Error(`not a quarter: ${quarter}`);
  return valid(
    DateTime.fromObject({ year: Number(m[1]), month: (Number(m[2]) - 1) * 3 + 1, day: 1 }, { zone: timezone }),
  ).toJSDate();
}

/** An unknown time zone or an invalid date stops here rather than becoming the quarter "NaN-QNaN". */
function valid(d: DateTime): DateTime {
  if (!d.isValid) throw new Error(`no quarter: ${d.invalidExplanation ?? d.invalidReason}`);
  return d;
}
