/**
 * An action plan's due date (issue 20): a plan is due today or later, and within a horizon a bank
 * would plan for (two years) — a date in 2020 or 2099 is a typing mistake, not a plan. Dates are
 * calendar days ("2026-12-31") in the bank's zone; `today` is the bank's today. Pure.
 */
export const PLAN_HORIZON_DAYS = 730;
export const DEFAULT_PLAN_DAYS = 30;

const DAY_MS = 86_400_000;
const isDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));

/** The calendar day `days` after `day`. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The earliest and latest due date a plan made today may have. */
export function dueDateBounds(today: string, horizonDays = PLAN_HORIZON_DAYS): { min: string; max: string } {
  return { min: today, max: addDays(today, horizonDays) };
}

/** Why a due date cannot be a plan's, or null when it can ('invalid' is for the form's own check). */
export function dueDateProblem(
  due: string,
  today: string,
  horizonDays = PLAN_HORIZON_DAYS,
): 'invalid' | 'past' | 'too_far' | null {
  if (!isDay(due) || !isDay(today)) return 'invalid';
  const { min, max } = dueDateBounds(today, horizonDays);
  if (due < min) return 'past';
  if (due > max) return 'too_far';
  return null;
}
