import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import {
  DEFAULT_TIMEZONE,
  isQuarter,
  quarterOf,
  quarterStart,
  shiftQuarter,
  trendQuarters,
} from '../server/rules/quarters';

/**
 * Quarters and time zones (SPEC §3): a visit belongs to the quarter of its visit time in the bank's
 * time zone. Pure tests; every instant below is worked out by hand (Shanghai is UTC+8 all year, New
 * York UTC−5 in winter and UTC−4 from the second Sunday of March).
 */

const at = (iso: string) => new Date(iso);

describe('isQuarter', () => {
  test.each(['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4', '1999-Q4'])('%s is a quarter', (q) => {
    expect(isQuarter(q)).toBe(true);
  });

  test.each(['2026-Q0', '2026-Q5', '26-Q1', '02026-Q1', 'x2026-Q1', '2026-Q1x', '2026-Q1\n', '2026Q1', '2026-q1', ''])(
    '%p is not',
    (q) => {
      expect(isQuarter(q)).toBe(false);
    },
  );
});

describe('quarterOf, in the bank time zone', () => {
  test('the default zone is Asia/Shanghai', () => {
    expect(DEFAULT_TIMEZONE).toBe('Asia/Shanghai');
    // 2026-03-31 23:59:59.999 in Shanghai is still the first quarter; one millisecond later is April 1st.
    expect(quarterOf(at('2026-03-31T15:59:59.999Z'))).toBe('2026-Q1');
    expect(quarterOf(at('2026-03-31T16:00:00.000Z'))).toBe('2026-Q2');
  });

  test.each([
    ['2026-01-15T04:00:00Z', '2026-Q1'],
    ['2026-02-15T04:00:00Z', '2026-Q1'],
    ['2026-03-15T04:00:00Z', '2026-Q1'],
    ['2026-04-15T04:00:00Z', '2026-Q2'],
    ['2026-05-15T04:00:00Z', '2026-Q2'],
    ['2026-06-15T04:00:00Z', '2026-Q2'],
    ['2026-07-15T04:00:00Z', '2026-Q3'],
    ['2026-08-15T04:00:00Z', '2026-Q3'],
    ['2026-09-15T04:00:00Z', '2026-Q3'],
    ['2026-10-15T04:00:00Z', '2026-Q4'],
    ['2026-11-15T04:00:00Z', '2026-Q4'],
    ['2026-12-15T04:00:00Z', '2026-Q4'],
  ])('every month: %s is in %s', (iso, quarter) => {
    expect(quarterOf(at(iso), 'UTC')).toBe(quarter);
  });

  test('the same instant falls in different quarters (and years) in different zones', () => {
    // 2025-12-31 16:00 UTC is New Year's midnight in Shanghai, still December 31st in London and New York.
    expect(quarterOf(at('2025-12-31T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-Q1');
    expect(quarterOf(at('2025-12-31T16:00:00Z'), 'Europe/London')).toBe('2025-Q4');
    // New York on daylight time (UTC−4): midnight of July 1st is 04:00 UTC.
    expect(quarterOf(at('2026-07-01T03:59:59Z'), 'America/New_York')).toBe('2026-Q2');
    expect(quarterOf(at('2026-07-01T04:00:00Z'), 'America/New_York')).toBe('2026-Q3');
  });

  test('an unknown zone or an invalid date is refused, never the quarter "NaN-QNaN"', () => {
    expect(() => quarterOf(at('2026-05-01T00:00:00Z'), 'Mars/Olympus')).toThrow(
      'no quarter: the zone "Mars/Olympus" is not supported',
    );
    expect(() => quarterOf(new Date(Number.NaN))).toThrow(/^no quarter: invalid input$/);
  });
});

describe('shiftQuarter and trendQuarters', () => {
  test.each([
    ['2026-Q1', -1, '2025-Q4'],
    ['2025-Q4', 1, '2026-Q1'],
    ['2026-Q3', 0, '2026-Q3'],
    ['2026-Q2', 2, '2026-Q4'],
    ['2026-Q2', 3, '2027-Q1'],
    ['2026-Q2', -5, '2025-Q1'],
    ['2026-Q2', -6, '2024-Q4'],
    ['2026-Q4', 8, '2028-Q4'],
  ])('%s shifted by %p is %s', (q, by, expected) => {
    expect(shiftQuarter(q, by)).toBe(expected);
  });

  test('a string that is not a quarter is refused with its value', () => {
    expect(() => shiftQuarter('2026-5', 1)).toThrow('not a quarter: 2026-5');
    expect(() => shiftQuarter('2026-Q1 ', 1)).toThrow('not a quarter: 2026-Q1 ');
  });

  test('trend: the last four quarters by default, oldest first; any count', () => {
    expect(trendQuarters('2026-Q2')).toEqual(['2025-Q3', '2025-Q4', '2026-Q1', '2026-Q2']);
    expect(trendQuarters('2026-Q2', 1)).toEqual(['2026-Q2']);
    expect(trendQuarters('2026-Q1', 6)).toEqual(['2024-Q4', '2025-Q1', '2025-Q2', '2025-Q3', '2025-Q4', '2026-Q1']);
    expect(trendQuarters('2026-Q1', 0)).toEqual([]);
  });
});

describe('quarterStart', () => {
  test.each([
    ['2026-Q1', '2025-12-31T16:00:00.000Z'],
    ['2026-Q2', '2026-03-31T16:00:00.000Z'],
    ['2026-Q3', '2026-06-30T16:00:00.000Z'],
    ['2026-Q4', '2026-09-30T16:00:00.000Z'],
  ])('%s starts at midnight in Shanghai (%s)', (q, iso) => {
    expect(quarterStart(q).toISOString()).toBe(iso);
  });

  test('in a zone with daylight saving time', () => {
    expect(quarterStart('2026-Q1', 'America/New_York').toISOString()).toBe('2026-01-01T05:00:00.000Z');
    expect(quarterStart('2026-Q2', 'America/New_York').toISOString()).toBe('2026-04-01T04:00:00.000Z');
    expect(quarterStart('2026-Q3', 'UTC').toISOString()).toBe('2026-07-01T00:00:00.000Z');
  });

  test('refuses what is not a quarter, and an unknown zone', () => {
    expect(() => quarterStart('2026-Q7')).toThrow('not a quarter: 2026-Q7');
    expect(() => quarterStart('2026-Q1', 'Mars/Olympus')).toThrow(
      'no quarter: the zone "Mars/Olympus" is not supported',
    );
  });

  const zones = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Pacific/Chatham'];
  const quarterArb = fc
    .tuple(fc.integer({ min: 1990, max: 2100 }), fc.integer({ min: 1, max: 4 }))
    .map(([y, q]) => `${y}-Q${q}`);

  test('property: a quarter starts in itself, and the millisecond before is the previous quarter', () => {
    fc.assert(
      fc.property(quarterArb, fc.constantFrom(...zones), (q, zone) => {
        const start = quarterStart(q, zone);
        return (
          quarterOf(start, zone) === q &&
          quarterOf(new Date(start.getTime() - 1), zone) === shiftQuarter(q, -1) &&
          shiftQuarter(shiftQuarter(q, 7), -7) === q
        );
      }),
      propertyRuns(100),
    );
  });
});
