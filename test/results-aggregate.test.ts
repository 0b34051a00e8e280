import { ResultsAccumulator, rollUp, spreadOf, type ItemInfo, type VisitInput } from '../server/results/aggregate';
import { shiftQuarter, trendQuarters } from '../server/rules/quarters';
import { barChart, lineChart } from '../server/results/svg';

/** The pure accumulator and helpers, on plain objects (no database). */

const ITEMS = new Map<string, ItemInfo>([
  [
    'a',
    { key: 'a', type: 'yes_no', weight: 1, critical: false, allowNA: false, required: true, sectionKey: 'greeting' },
  ],
  [
    'b',
    { key: 'b', type: 'scale', weight: 1, critical: false, allowNA: false, required: true, sectionKey: 'greeting' },
  ],
]);
const S = (g: number | null, p: number | null, s: number | null, f: number | null, total: number | null) => ({
  sections: { greeting: g, product_knowledge: p, sales_compliance: s, follow_up: f },
  total,
});
let seq = 0;
const visit = (over: Partial<VisitInput>): VisitInput => ({
  id: `v${++seq}`,
  branchCode: 'A',
  region: 'R1',
  quarter: '2026-Q2',
  questionnaireId: 'q',
  questionnaireVersion: 1,
  scores: S(null, null, null, null, null),
  ...over,
});
const accumulator = (inFocus: (code: string, region: string) => boolean = () => true) =>
  new ResultsAccumulator({
    quarter: '2026-Q2',
    previousQuarter: '2026-Q1',
    inFocus,
    items: (q, v) => (q === 'q' && v === 1 ? ITEMS : undefined),
  });

describe('ResultsAccumulator', () => {
  test('violations carry the dispute state of their visit', () => {
    const acc = accumulator();
    acc.add(visit({ id: 'ok', violations: [{ itemKey: 's1', sectionKey: 'sales_compliance' }], status: 'approved' }));
    acc.add(visit({ id: 'open', violations: [{ itemKey: 's1', sectionKey: 'sales_compliance' }], status: 'disputed' }));
    const out = acc.finish();
    expect(out.violations.map((v) => [v.visitId, v.disputed])).toEqual([
      ['ok', false],
      ['open', true],
    ]);
  });

  test('branch means per quarter; a null section is left out of that section only', () => {
    const acc = accumulator();
    acc.add(visit({ scores: S(80, null, 100, 40, 70) }));
    acc.add(visit({ scores: S(60, 50, null, 20, 40) }));
    acc.add(visit({ quarter: '2026-Q1', scores: S(10, 10, 10, 10, 10) }));
    const out = acc.finish();
    // greeting (80+60)/2 = 70; product only the second visit: 50; compliance only the first: 100; total (70+40)/2 = 55
    // Moments per slot (SPEC §11): n, Σx and Σx² of the scores that were averaged, nulls left out.
    expect(out.branchesByQuarter.get('2026-Q2')).toEqual([
      {
        code: 'A',
        region: 'R1',
        n: 2,
        ...S(70, 50, 100, 30, 55),
        moments: [
          { n: 2, sum: 140, sumSq: 80 * 80 + 60 * 60 },
          { n: 1, sum: 50, sumSq: 2500 },
          { n: 1, sum: 100, sumSq: 10000 },
          { n: 2, sum: 60, sumSq: 1600 + 400 },
          { n: 2, sum: 110, sumSq: 4900 + 1600 },
        ],
      },
    ]);
    expect(out.branchesByQuarter.get('2026-Q1')?.[0].total).toBe(10);
  });

  test('a visit with no scores at all still counts in n but in no mean', () => {
    const acc = accumulator();
    acc.add(visit({ scores: null }));
    acc.add(visit({ scores: S(50, null, null, null, 50) }));
    expect(acc.finish().branchesByQuarter.get('2026-Q2')?.[0]).toMatchObject({
      n: 2,
      total: 50,
      sections: { greeting: 50, follow_up: null },
    });
  });

  test('staff: each visit once per member, current and previous quarter, in focus only', () => {
    const acc = accumulator((code) => code !== 'B');
    acc.add(visit({ staffIds: ['s1', 's1', 's2'], scores: S(null, null, null, null, 90) }));
    acc.add(visit({ staffIds: ['s1'], scores: S(null, null, null, null, 30) }));
    acc.add(visit({ branchCode: 'B', staffIds: ['s1'], scores: S(null, null, null, null, 0) })); // out of focus
    acc.add(visit({ quarter: '2026-Q1', staffIds: ['s1'], scores: S(null, null, null, null, 20) }));
    acc.add(visit({ quarter: '2025-Q4', staffIds: ['s1'], scores: S(null, null, null, null, 5) })); // too old for staff
    const out = acc.finish();
    expect(out.staff.find((s) => s.employeeId === 's1')).toMatchObject({ n: 2, total: 60 }); // (90+30)/2
    expect(out.staff.find((s) => s.employeeId === 's2')).toMatchObject({ n: 1, total: 90 });
    expect(out.previousStaff).toEqual([expect.objectContaining({ employeeId: 's1', n: 1, total: 20 })]);
    // Out-of-focus visits still feed the branch figures (needed for benchmarks).
    expect(
      out.branchesByQuarter
        .get('2026-Q2')
        ?.map((b) => b.code)
        .sort(),
    ).toEqual(['A', 'B']);
  });

  test('key problems: applicable excludes N/A and unknown items; scale 1 and "no" fail; unknown version ignored', () => {
    const acc = accumulator();
    acc.add(
      visit({
        answers: [
          { itemKey: 'a', value: 'no' },
          { itemKey: 'b', value: 1 },
          { itemKey: 'zz', value: 'no' },
        ],
      }),
    );
    acc.add(
      visit({
        answers: [
          { itemKey: 'a', value: 'na' },
          { itemKey: 'b', value: 2 },
        ],
      }),
    );
    acc.add(
      visit({
        answers: [
          { itemKey: 'a', value: 'yes' },
          { itemKey: 'b', value: 'no' },
        ],
      }),
    ); // "no" is no scale value
    acc.add(visit({ questionnaireVersion: 9, answers: [{ itemKey: 'a', value: 'no' }] }));
    acc.add(visit({ quarter: '2026-Q1', answers: [{ itemKey: 'a', value: 'no' }] })); // previous quarter: not a problem now
    // a: applicable 2 (no, yes), failed 1 → 0.5; b: applicable 2 (1, 2), failed 1 → 0.5; tie → by key
    expect(acc.finish().keyProblems).toEqual([
      { itemKey: 'a', sectionKey: 'greeting', failureRate: 0.5, failed: 1, applicable: 2 },
      { itemKey: 'b', sectionKey: 'greeting', failureRate: 0.5, failed: 1, applicable: 2 },
    ]);
  });

  test('items that never failed are not problems', () => {
    const acc = accumulator();
    for (let i = 0; i < 4; i++)
      acc.add(
        visit({
          answers: [
            { itemKey: 'a', value: i === 0 ? 'no' : 'yes' },
            { itemKey: 'b', value: 5 },
          ],
        }),
      );
    expect(acc.finish().keyProblems.map((k) => k.itemKey)).toEqual(['a']);
  });

  test('order: failure rate, then number of failures, then key', () => {
    const acc = accumulator();
    // a: 1 of 2 fails (0.5); b: 2 of 4 fail (0.5, more failures → first although "a" < "b")
    acc.add(
      visit({
        answers: [
          { itemKey: 'a', value: 'no' },
          { itemKey: 'b', value: 1 },
        ],
      }),
    );
    acc.add(
      visit({
        answers: [
          { itemKey: 'a', value: 'yes' },
          { itemKey: 'b', value: 1 },
        ],
      }),
    );
    acc.add(visit({ answers: [{ itemKey: 'b', value: 4 }] }));
    acc.add(visit({ answers: [{ itemKey: 'b', value: 3 }] }));
    expect(acc.finish().keyProblems.map((k) => [k.itemKey, k.failed, k.applicable])).toEqual([
      ['b', 2, 4],
      ['a', 1, 2],
    ]);
  });

  test('violations of the current quarter in focus, sorted by branch', () => {
    const acc = accumulator((code) => code !== 'X');
    acc.add(visit({ id: 'v-b', branchCode: 'B', violations: [{ itemKey: 'a', sectionKey: 'greeting' }] }));
    acc.add(visit({ id: 'v-a', branchCode: 'A', violations: [{ itemKey: 'a', sectionKey: 'greeting' }] }));
    acc.add(visit({ id: 'v-x', branchCode: 'X', violations: [{ itemKey: 'a' }] }));
    acc.add(visit({ id: 'v-old', quarter: '2026-Q1', violations: [{ itemKey: 'a' }] }));
    expect(acc.finish().violations.map((x) => x.visitId)).toEqual(['v-a', 'v-b']);
  });
});

describe('rollUp and spread', () => {
  const b = (code: string, n: number, total: number | null, greeting: number | null) => ({
    code,
    region: 'R',
    n,
    ...S(greeting, null, null, null, total),
  });

  test('mean of branch means, each branch weighing the same; n sums visits', () => {
    // 10 visits at 90 in one branch, 1 at 30 in another: (90+30)/2 = 60, not (900+30)/11 = 84.5
    const r = rollUp([b('A', 10, 90, 80), b('B', 1, 30, null)]);
    expect(r).toMatchObject({ n: 11, branches: 2, total: 60, sections: { greeting: 80, product_knowledge: null } });
  });

  test('population standard deviation; null totals left out; empty is null', () => {
    // 2 and 4: mean 3, deviations ±1 → population stdev 1 (sample would be 1.414)
    expect(spreadOf([2, null, 4])).toEqual({ min: 2, max: 4, stdev: 1 });
    expect(spreadOf([7])).toEqual({ min: 7, max: 7, stdev: 0 });
    expect(spreadOf([null])).toBeNull();
    expect(rollUp([])).toMatchObject({ n: 0, branches: 0, total: null, spread: null });
  });
});

describe('quarters', () => {
  test('shift across years and the four-quarter window', () => {
    expect(shiftQuarter('2026-Q1', -1)).toBe('2025-Q4');
    expect(shiftQuarter('2025-Q4', 1)).toBe('2026-Q1');
    expect(trendQuarters('2026-Q2')).toEqual(['2025-Q3', '2025-Q4', '2026-Q1', '2026-Q2']);
    expect(() => shiftQuarter('2026-5', 1)).toThrow();
  });
});

describe('SVG helpers', () => {
  test('bar chart: one bar per value, previous bars, text escaped, no script or external reference', () => {
    const svg = barChart(
      [
        { label: 'A<b>&', value: 57.46, previous: 60 },
        { label: 'B', value: null },
      ],
      { title: 'T "x"', current: 'Q2', previous: 'Q1' },
    );
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg).toContain('viewBox="0 0 360');
    expect((svg.match(/class="bar"/g) ?? []).length).toBe(1);
    expect((svg.match(/class="bar-prev"/g) ?? []).length).toBe(1);
    expect(svg).toContain('A&lt;b&gt;&amp;');
    expect(svg).toContain('>57.5<');
    expect(svg).not.toMatch(/<script|href=|style=/);
  });

  test('line chart: a gap breaks the line; every value is labelled', () => {
    const svg = lineChart(
      [
        { label: 'Q1', value: 50 },
        { label: 'Q2', value: null },
        { label: 'Q3', value: 70 },
        { label: 'Q4', value: 80 },
      ],
      { title: 't' },
    );
    expect((svg.match(/<polyline/g) ?? []).length).toBe(1); // Q1 alone is a point, Q3–Q4 a line
    expect((svg.match(/class="point"/g) ?? []).length).toBe(3);
    expect(svg).toContain('>80.0<');
  });
});
