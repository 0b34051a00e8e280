import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import { computeFlags, FLAG, LATE_AFTER_HOURS, MAX_MINUTES, MIN_MINUTES, type FlagFacts } from '../server/visits/flags';

/**
 * Plausibility flags (SPEC §4): pure tests at every boundary. The flags go to the reviewer and into
 * the figures of the quarter's quality notes, so each edge is pinned: inclusive or not, by how much.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const windowStart = new Date('2026-05-01T00:00:00.000Z');
const windowEnd = new Date('2026-05-31T23:59:59.999Z');
const visitedAt = new Date('2026-05-10T02:00:00.000Z');

/** A visit that earns no flag: inside its window, in the past, 30 minutes long, submitted an hour later. */
const facts = (over: Partial<FlagFacts> = {}): FlagFacts => {
  const at = over.visitedAt ?? visitedAt;
  return {
    visitedAt: at,
    durationMinutes: 30,
    windowStart,
    windowEnd,
    firstSubmittedAt: new Date(at.getTime() + HOUR),
    duplicateVisitIds: [],
    now: new Date('2026-06-02T00:00:00.000Z'),
    ...over,
  };
};
const codes = (over: Partial<FlagFacts>) => computeFlags(facts(over)).map((f) => f.code);
const shifted = (d: Date, ms: number) => new Date(d.getTime() + ms);

describe('computeFlags', () => {
  test('the stable codes', () => {
    expect(FLAG).toEqual({
      outsideWindow: 'outside_window',
      future: 'future_visit',
      duration: 'implausible_duration',
      late: 'late_submission',
      duplicateEvidence: 'duplicate_evidence',
    });
    expect([MIN_MINUTES, MAX_MINUTES, LATE_AFTER_HOURS]).toEqual([3, 240, 72]);
  });

  test('a plausible visit has no flag', () => {
    expect(computeFlags(facts())).toEqual([]);
  });

  test('the window is inclusive at both ends, to the millisecond', () => {
    expect(codes({ visitedAt: windowStart })).toEqual([]);
    expect(codes({ visitedAt: windowEnd })).toEqual([]);
    expect(codes({ visitedAt: shifted(windowStart, -1) })).toEqual([FLAG.outsideWindow]);
    expect(codes({ visitedAt: shifted(windowEnd, 1) })).toEqual([FLAG.outsideWindow]);
  });

  test('outside the window: the message names the window', () => {
    expect(computeFlags(facts({ visitedAt: new Date('2026-04-30T12:00:00.000Z') }))).toEqual([
      {
        code: 'outside_window',
        message:
          'The visit time is outside the assignment window (2026-05-01T00:00:00.000Z – 2026-05-31T23:59:59.999Z)',
      },
    ]);
  });

  test('in the future only beyond five minutes of clock skew', () => {
    const now = new Date('2026-05-10T02:00:00.000Z');
    const future = (ms: number) => codes({ now, visitedAt: shifted(now, ms), firstSubmittedAt: null });
    expect(future(0)).toEqual([]);
    expect(future(5 * MIN)).toEqual([]);
    expect(future(5 * MIN + 1)).toEqual([FLAG.future]);
    expect(computeFlags(facts({ now, visitedAt: shifted(now, HOUR), firstSubmittedAt: null }))).toEqual([
      { code: 'future_visit', message: 'The visit time is in the future' },
    ]);
  });

  test.each([
    [3, false],
    [240, false],
    [2.99, true],
    [240.01, true],
    [0, true],
    [-5, true],
    [241, true],
  ])('a duration of %p minutes is implausible: %p', (durationMinutes, flagged) => {
    expect(codes({ durationMinutes })).toEqual(flagged ? [FLAG.duration] : []);
  });

  test('the duration message gives the duration and the plausible range', () => {
    expect(computeFlags(facts({ durationMinutes: 1 }))).toEqual([
      { code: 'implausible_duration', message: 'A duration of 1 minutes is implausible (expected 3–240)' },
    ]);
  });

  test('late only when submitted more than 72 hours after the visit; never submitted is not late', () => {
    const after = (ms: number) => codes({ firstSubmittedAt: shifted(visitedAt, ms) });
    expect(after(72 * HOUR)).toEqual([]);
    expect(after(72 * HOUR + 1)).toEqual([FLAG.late]);
    expect(after(-HOUR)).toEqual([]);
    expect(codes({ firstSubmittedAt: null })).toEqual([]);
    expect(codes({ firstSubmittedAt: undefined })).toEqual([]);
    expect(computeFlags(facts({ firstSubmittedAt: shifted(visitedAt, 100 * HOUR) }))).toEqual([
      { code: 'late_submission', message: 'Submitted more than 72 hours after the visit' },
    ]);
  });

  test('duplicate evidence names the other visits, sorted, without changing the caller’s list', () => {
    const ids = ['v9', 'v10', 'v2'];
    expect(computeFlags(facts({ duplicateVisitIds: ids }))).toEqual([
      {
        code: 'duplicate_evidence',
        message: 'An attached file is identical to evidence of 3 other visits',
        visitIds: ['v10', 'v2', 'v9'],
      },
    ]);
    expect(ids).toEqual(['v9', 'v10', 'v2']);
    expect(computeFlags(facts({ duplicateVisitIds: ['v7'] }))).toEqual([
      {
        code: 'duplicate_evidence',
        message: 'An attached file is identical to evidence of 1 other visit',
        visitIds: ['v7'],
      },
    ]);
  });

  test('several flags at once, in a fixed order', () => {
    const now = new Date('2026-06-01T00:00:00.000Z');
    expect(
      codes({
        now,
        visitedAt: shifted(now, 2 * HOUR),
        durationMinutes: 500,
        firstSubmittedAt: shifted(now, 2 * HOUR + 73 * HOUR),
        duplicateVisitIds: ['x'],
      }),
    ).toEqual([FLAG.outsideWindow, FLAG.future, FLAG.duration, FLAG.late, FLAG.duplicateEvidence]);
  });

  test('property: each flag is raised exactly when its own rule says so', () => {
    const base = windowStart.getTime();
    fc.assert(
      fc.property(
        fc.integer({ min: -10 * HOUR, max: 40 * 24 * HOUR }),
        fc.integer({ min: -10 * HOUR, max: 40 * 24 * HOUR }),
        fc.oneof(fc.constant(null), fc.integer({ min: -HOUR, max: 200 * HOUR })),
        fc.double({ min: -10, max: 500, noNaN: true }),
        fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
        (visitOffset, nowOffset, submitDelay, durationMinutes, dups) => {
          const at = base + visitOffset;
          const got = codes({
            visitedAt: new Date(at),
            now: new Date(base + nowOffset),
            firstSubmittedAt: submitDelay === null ? null : new Date(at + submitDelay),
            durationMinutes,
            duplicateVisitIds: dups,
          });
          const expected = [
            (at < base || at > windowEnd.getTime()) && FLAG.outsideWindow,
            at - (base + nowOffset) > 5 * MIN && FLAG.future,
            (durationMinutes < 3 || durationMinutes > 240) && FLAG.duration,
            submitDelay !== null && submitDelay > 72 * HOUR && FLAG.late,
            dups.length > 0 && FLAG.duplicateEvidence,
          ].filter(Boolean);
          expect(got).toEqual(expected);
        },
      ),
      propertyRuns(100),
    );
  });
});
