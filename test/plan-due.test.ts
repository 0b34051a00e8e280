import { addDays, dueDateBounds, dueDateProblem, PLAN_HORIZON_DAYS } from '../server/rules/plan-due';

/** An action plan's due date: today or later, within two years (issue 20). */
describe('dueDateProblem', () => {
  test('today and the last day of the horizon are fine; the day before and the day after are not', () => {
    expect(dueDateProblem('2026-12-05', '2026-12-05')).toBeNull();
    expect(dueDateProblem('2026-12-04', '2026-12-05')).toBe('past');
    expect(dueDateProblem('2020-06-30', '2026-12-05')).toBe('past');
    const last = addDays('2026-12-05', PLAN_HORIZON_DAYS);
    expect(last).toBe('2028-12-04');
    expect(dueDateProblem(last, '2026-12-05')).toBeNull();
    expect(dueDateProblem(addDays(last, 1), '2026-12-05')).toBe('too_far');
    expect(dueDateProblem('2099-12-31', '2026-12-05')).toBe('too_far');
  });

  test('a shorter horizon, and what is not a day', () => {
    expect(dueDateProblem('2027-01-05', '2026-12-05', 31)).toBeNull();
    expect(dueDateProblem('2027-01-06', '2026-12-05', 31)).toBe('too_far');
    expect(dueDateProblem('31/12/2026', '2026-12-05')).toBe('invalid');
    expect(dueDateProblem('2026-12-31', 'today')).toBe('invalid');
  });

  test('bounds and day arithmetic across a month, a year and a leap day', () => {
    expect(dueDateBounds('2026-12-05')).toEqual({ min: '2026-12-05', max: '2028-12-04' });
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-05', 30)).toBe('2027-01-04');
  });
});
