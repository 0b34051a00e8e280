import { agendaOrder, auditorAgenda, daysUntil } from '../server/rules/agenda';

/** The auditor's to-do list, worked out by hand around one "now". */
const NOW = new Date('2026-12-05T12:00:00Z');
const row = (id: string, start: string, end: string, visitStatus?: string) => ({
  id,
  windowStart: start,
  windowEnd: end,
  ...(visitStatus ? { visitStatus, visitId: `v-${id}` } : {}),
});

describe('auditorAgenda', () => {
  const rows = [
    row('old-missed', '2026-10-01T00:00:00Z', '2026-10-10T00:00:00Z'),
    row('late-missed', '2026-11-01T00:00:00Z', '2026-12-05T11:59:59Z'),
    row('open-late', '2026-12-01T00:00:00Z', '2026-12-20T00:00:00Z'),
    row('open-soon', '2026-12-04T00:00:00Z', '2026-12-06T00:00:00Z'),
    row('open-edge', '2026-12-05T12:00:00Z', '2026-12-05T12:00:00Z'),
    row('next', '2026-12-07T00:00:00Z', '2026-12-09T00:00:00Z'),
    row('later', '2026-12-10T00:00:00Z', '2026-12-12T00:00:00Z'),
    row('draft', '2026-12-01T00:00:00Z', '2026-12-08T00:00:00Z', 'draft'),
    row('returned', '2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z', 'returned'),
    row('sub', '2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z', 'submitted'),
    row('appr', '2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z', 'approved'),
    row('disp', '2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z', 'disputed'),
  ];
  const ids = (list: { id: string }[]) => list.map((r) => r.id);
  const a = auditorAgenda(rows, NOW);

  test('open windows come closing-soonest first, including one that opens and closes right now', () => {
    expect(ids(a.openNow)).toEqual(['open-edge', 'open-soon', 'open-late']);
  });

  test('upcoming windows come opening-soonest first', () => {
    expect(ids(a.upcoming)).toEqual(['next', 'later']);
  });

  test('missed windows come most recent first', () => {
    expect(ids(a.missed)).toEqual(['late-missed', 'old-missed']);
  });

  test('visits sent back and drafts are their own groups; submitted, approved and disputed only count as done', () => {
    expect(ids(a.returned)).toEqual(['returned']);
    expect(ids(a.drafts)).toEqual(['draft']);
    expect(a.done).toBe(3);
  });

  test('several sent back, drafts and coming windows, given in no order, come in their order (ties by closing time)', () => {
    const many = auditorAgenda(
      [
        row('r-late', '2026-11-01T00:00:00Z', '2026-12-20T00:00:00Z', 'returned'),
        row('d-late', '2026-12-01T00:00:00Z', '2026-12-19T00:00:00Z', 'draft'),
        row('u-late', '2026-12-09T00:00:00Z', '2026-12-10T00:00:00Z'),
        row('u-tie-late', '2026-12-07T00:00:00Z', '2026-12-12T00:00:00Z'),
        row('r-soon', '2026-11-01T00:00:00Z', '2026-12-06T00:00:00Z', 'returned'),
        row('d-soon', '2026-12-01T00:00:00Z', '2026-12-07T00:00:00Z', 'draft'),
        row('u-tie-soon', '2026-12-07T00:00:00Z', '2026-12-08T00:00:00Z'),
        row('r-mid', '2026-11-01T00:00:00Z', '2026-12-10T00:00:00Z', 'returned'),
        row('d-mid', '2026-12-01T00:00:00Z', '2026-12-09T00:00:00Z', 'draft'),
      ],
      NOW,
    );
    expect(ids(many.returned)).toEqual(['r-soon', 'r-mid', 'r-late']);
    expect(ids(many.drafts)).toEqual(['d-soon', 'd-mid', 'd-late']);
    expect(ids(many.upcoming)).toEqual(['u-tie-soon', 'u-tie-late', 'u-late']);
  });

  test('an empty list is an empty agenda', () => {
    expect(auditorAgenda([], NOW)).toEqual({
      returned: [],
      drafts: [],
      openNow: [],
      upcoming: [],
      missed: [],
      done: 0,
    });
  });
});

describe('daysUntil', () => {
  test.each([
    ['2026-12-05T12:00:00Z', 0],
    ['2026-12-05T12:00:01Z', 1],
    ['2026-12-06T12:00:00Z', 1],
    ['2026-12-06T12:00:01Z', 2],
    ['2026-12-05T11:59:59Z', -1],
    ['2026-12-03T12:00:00Z', -2],
  ])('%s is %d day(s) away', (iso, days) => {
    expect(daysUntil(iso, NOW)).toBe(days);
  });
});

describe('agendaOrder', () => {
  const rows = [
    { id: 'missed', windowStart: '2026-11-01T00:00:00Z', windowEnd: '2026-11-02T00:00:00Z' },
    { id: 'open', windowStart: '2026-12-01T00:00:00Z', windowEnd: '2026-12-08T00:00:00Z' },
    { id: 'draft', windowStart: '2026-12-01T00:00:00Z', windowEnd: '2026-12-09T00:00:00Z', visitStatus: 'draft' },
    { id: 'up', windowStart: '2026-12-10T00:00:00Z', windowEnd: '2026-12-11T00:00:00Z' },
    { id: 'ret', windowStart: '2026-11-01T00:00:00Z', windowEnd: '2026-11-03T00:00:00Z', visitStatus: 'returned' },
    { id: 'old-done', windowStart: '2026-10-01T00:00:00Z', windowEnd: '2026-10-02T00:00:00Z', visitStatus: 'approved' },
    {
      id: 'new-done',
      windowStart: '2026-11-01T00:00:00Z',
      windowEnd: '2026-11-05T00:00:00Z',
      visitStatus: 'submitted',
    },
  ];
  const ids = (list: { id: string }[]) => list.map((r) => r.id);

  test('to do: sent back, drafts, open now, coming, missed — nothing finished', () => {
    expect(ids(agendaOrder(rows, NOW, 'todo'))).toEqual(['ret', 'draft', 'open', 'up', 'missed']);
  });

  test('done: finished visits only, the latest window first', () => {
    expect(ids(agendaOrder(rows, NOW, 'done'))).toEqual(['new-done', 'old-done']);
  });
});
