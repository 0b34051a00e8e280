import { DateTime } from 'luxon';
import { clockSpan, clockText } from '../rules/clock-text';
import { shownZone } from '../platform/http/viewer-zone';

/**
 * Times as people type and read them on the pages: in the bank's time zone, to the minute. A
 * `datetime-local` box has no zone of its own, so the page says which zone it means.
 */
const LOCAL_INPUT = "yyyy-MM-dd'T'HH:mm";

/** A `datetime-local` value read in the bank's zone, as the API's ISO time with offset; null when unreadable. */
export function localInputToIso(v: string, timezone: string): string | null {
  const dt = DateTime.fromISO(v.trim(), { zone: timezone });
  return dt.isValid ? (dt.toISO({ suppressMilliseconds: true }) as string) : null;
}

export function isoToLocalInput(iso: string | null | undefined, timezone: string): string {
  return iso ? DateTime.fromISO(iso).setZone(timezone).toFormat(LOCAL_INPUT) : '';
}

/**
 * A time as every page shows it: to the minute in the bank's zone — or the viewer's chosen zone
 * (web/clock.ts) — with the zone named (rules/clock-text).
 */
export function showTime(at: Date | string | null | undefined, timezone: string): string {
  return clockText(at, shownZone(timezone));
}

/** A window of two times, the zone named once. */
export function showSpan(
  from: Date | string | null | undefined,
  to: Date | string | null | undefined,
  timezone: string,
): string {
  return clockSpan(from, to, shownZone(timezone));
}

export function nowLocalInput(timezone: string): string {
  return DateTime.now().setZone(timezone).toFormat(LOCAL_INPUT);
}
