import { clockDay, clockSpan, clockText } from '../server/rules/clock-text';
import { disputeWindow } from '../server/rules/dispute-window';

/** The one clock of the pages and the dispute window, worked out by hand (Shanghai is UTC+8, New York UTC−5 in December). */
describe('clockText', () => {
  test('shows the minute in the given zone with the zone named', () => {
    expect(clockText('2026-12-05T06:51:30Z', 'Asia/Shanghai')).toBe('2026-12-05 14:51 (Asia/Shanghai)');
    expect(clockText(new Date('2026-12-05T06:51:00Z'), 'America/New_York')).toBe('2026-12-05 01:51 (America/New_York)');
  });

  test('reads an offset time as the instant it names', () => {
    expect(clockText('2026-12-05T14:51:00+08:00', 'UTC')).toBe('2026-12-05 06:51 (UTC)');
  });

  test('crosses midnight into the zone’s date', () => {
    expect(clockText('2026-12-31T16:30:00Z', 'Asia/Shanghai')).toBe('2027-01-01 00:30 (Asia/Shanghai)');
  });

  test.each([null, undefined, '', 'not a time'])('%p shows nothing', (v) => {
    expect(clockText(v, 'Asia/Shanghai')).toBe('');
  });

  test('an unknown zone falls back to UTC, still named', () => {
    expect(clockText('2026-12-05T06:51:00Z', 'Mars/Olympus')).toBe('2026-12-05 06:51 (UTC)');
  });
});

describe('clockSpan', () => {
  test('names the zone once after both times', () => {
    expect(clockSpan('2026-12-01T01:00:00Z', '2026-12-10T10:00:00Z', 'Asia/Shanghai')).toBe(
      '2026-12-01 09:00 – 2026-12-10 18:00 (Asia/Shanghai)',
    );
  });

  test('with one end missing shows the other, labelled', () => {
    expect(clockSpan(null, '2026-12-10T10:00:00Z', 'Asia/Shanghai')).toBe('2026-12-10 18:00 (Asia/Shanghai)');
    expect(clockSpan('2026-12-10T10:00:00Z', null, 'Asia/Shanghai')).toBe('2026-12-10 18:00 (Asia/Shanghai)');
  });
});

describe('clockDay', () => {
  test('is the calendar day in the zone', () => {
    expect(clockDay('2026-12-31T16:30:00Z', 'Asia/Shanghai')).toBe('2027-01-01');
    expect(clockDay('2026-12-31T16:30:00Z', 'UTC')).toBe('2026-12-31');
    expect(clockDay(null, 'UTC')).toBe('');
  });
});

describe('disputeWindow', () => {
  const approved = new Date('2026-12-01T00:00:00Z');

  test('closes the given number of days after approval', () => {
    expect(disputeWindow(approved, 14, approved).closesAt.toISOString()).toBe('2026-12-15T00:00:00.000Z');
  });

  test('counts a started day as a day left', () => {
    expect(disputeWindow(approved, 14, approved).daysLeft).toBe(14);
    expect(disputeWindow(approved, 14, new Date('2026-12-01T00:00:01Z')).daysLeft).toBe(14);
    expect(disputeWindow(approved, 14, new Date('2026-12-02T00:00:00Z')).daysLeft).toBe(13);
    expect(disputeWindow(approved, 14, new Date('2026-12-14T23:59:59Z')).daysLeft).toBe(1);
  });

  test('is still open at the closing instant and shut one millisecond later', () => {
    const at = disputeWindow(approved, 14, new Date('2026-12-15T00:00:00.000Z'));
    expect(at).toMatchObject({ open: true, daysLeft: 0 });
    const after = disputeWindow(approved, 14, new Date('2026-12-15T00:00:00.001Z'));
    expect(after).toMatchObject({ open: false, daysLeft: 0 });
  });

  test('a window of zero days is open only at the approval instant', () => {
    expect(disputeWindow(approved, 0, approved).open).toBe(true);
    expect(disputeWindow(approved, 0, new Date(approved.getTime() + 1)).open).toBe(false);
  });
});
