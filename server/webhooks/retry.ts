import { config } from '../platform/config';

/**
 * When a failed delivery is tried again: the delays of WEBHOOK_RETRY_SCHEDULE, in order (default
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 27.6 h after the first attempt, the Standard
 * Webhooks reference schedule). Null once the schedule is used up: the delivery has failed for good
 * (an admin may still redeliver it by hand).
 */
export function retrySchedule(raw = config().WEBHOOK_RETRY_SCHEDULE): number[] {
  return raw
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n >= 0)
    .map((s) => Math.round(s * 1000));
}

/** The delay after the `tries`-th failed automatic attempt (1-based), or null when none is left. */
export function retryDelayMs(tries: number, schedule = retrySchedule()): number | null {
  return tries >= 1 && tries <= schedule.length ? schedule[tries - 1] : null;
}

/** Whether an endpoint failing since `since` has failed long enough to be disabled. */
export function failedTooLong(since: Date | null | undefined, now: Date, hours = config().WEBHOOK_DISABLE_AFTER_HOURS) {
  return Boolean(since) && now.getTime() - (since as Date).getTime() >= hours * 3600_000;
}
