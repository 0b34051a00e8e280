import { confidenceFields, momentsOfMeans, withConfidence } from '../server/results/confidence';
import type { ResultRow } from '../server/results/types';
import type { SampleMoments } from '../server/rules/confidence';

/**
 * SPEC §11 on the rows of the results (server/results/confidence.ts): which moments each score's
 * interval rests on, what a benchmark row withholds, when a change is tested and when a branch is
 * below the bank. Worked out by hand with the t quantiles of the printed tables. Pure.
 */

// t(0.975, df) for df 1 and 2 (any t table: 12.706, 4.303).
const T1 = 12.706204736174698;
const T2 = 4.302652729749464;

const m = (...xs: number[]): SampleMoments => ({
  n: xs.length,
  sum: xs.reduce((a, b) => a + b, 0),
  sumSq: xs.reduce((a, b) => a + b * b, 0),
});
const around = (mean: number, half: number) => [expect.closeTo(mean - half, 9), expect.closeTo(mean + half, 9)];

// 60, 62, 64: mean 62, sd 2, half width t(0.975, 2) · 2 / √3.
const THREE = m(60, 62, 64);
const THREE_CI = around(62, (T2 * 2) / Math.sqrt(3));
// 80, 90: mean 85, sd √50, half width t(0.975, 1) · √50 / √2 = 5 · t.
const TWO_CI = around(85, T1 * 5);
/** greeting 60/62/64, product knowledge one value, sales compliance none, follow-up 80/90; total 60/62/64. */
const NOW = [THREE, m(70), m(), m(80, 90), THREE];

const three = { n: 3, sd: expect.closeTo(2, 12), ci95: THREE_CI, smallSample: false };
const alone = { n: 1, sd: null, ci95: null, smallSample: true };
const empty = { n: 0, sd: null, ci95: null, smallSample: true };
const two = { n: 2, sd: expect.closeTo(Math.sqrt(50), 12), ci95: TWO_CI, smallSample: true };

describe('the §11 fields of a row', () => {
  test('every score gets n, sd, interval and the small-sample flag; the total’s are also at the top', () => {
    expect(confidenceFields({ now: NOW })).toEqual({
      sd: expect.closeTo(2, 12),
      ci95: THREE_CI,
      smallSample: false,
      confidence: {
        sections: { greeting: three, product_knowledge: alone, sales_compliance: empty, follow_up: two },
        total: three,
      },
    });
  });

  test('without moments every score has n 0 and nothing else', () => {
    expect(confidenceFields({ now: undefined })).toEqual({
      sd: null,
      ci95: null,
      smallSample: true,
      confidence: {
        sections: { greeting: empty, product_knowledge: empty, sales_compliance: empty, follow_up: empty },
        total: empty,
      },
    });
  });

  test("the change against the previous quarter, per score: R's Welch test on the sleep data", () => {
    // R: t.test(extra ~ group, data = sleep): p = 0.07939; drug 2 − drug 1 = 1.58.
    const drug1 = m(0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0);
    const drug2 = m(1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4);
    const out = confidenceFields({
      now: [drug2, m(70), drug2, m(), drug2],
      before: [drug1, m(60, 70), m(), m(50), drug1],
    });
    const sleep = { delta: expect.closeTo(1.58, 12), p: expect.closeTo(0.07939, 5), significant: false };
    expect(out.change).toEqual(sleep);
    expect(out.confidence.total.change).toEqual(sleep);
    expect(out.confidence.sections.greeting.change).toEqual(sleep);
    // One value now: the change is shown, the test is not made.
    expect(out.confidence.sections.product_knowledge.change).toEqual({ delta: 5, p: null, significant: null });
    // Nothing before, or nothing now: no change at all.
    expect(out.confidence.sections.sales_compliance).not.toHaveProperty('change');
    expect(out.confidence.sections.follow_up).not.toHaveProperty('change');
  });

  test('no previous quarter: no change anywhere', () => {
    const out = confidenceFields({ now: NOW, before: null });
    expect(out).not.toHaveProperty('change');
    expect(out.confidence.total).not.toHaveProperty('change');
    expect(out.confidence.sections.greeting).not.toHaveProperty('change');
  });

  test('a benchmark withholds sd, interval and p (the hidden branches could be solved for), keeps n and delta', () => {
    const out = confidenceFields({ now: NOW, before: [m(50, 70), m(), m(), m(), m(50, 70)], withheld: true });
    const hidden = { n: 3, sd: null, ci95: null, smallSample: false, change: { delta: 2, p: null, significant: null } };
    expect(out).toEqual({
      sd: null,
      ci95: null,
      smallSample: false,
      change: { delta: 2, p: null, significant: null },
      confidence: {
        sections: {
          greeting: hidden,
          product_knowledge: { n: 1, sd: null, ci95: null, smallSample: true },
          sales_compliance: empty,
          follow_up: { n: 2, sd: null, ci95: null, smallSample: true },
        },
        total: hidden,
      },
    });
    expect(confidenceFields({ now: NOW, withheld: false }).sd).toBeCloseTo(2, 12);
  });

  test('below the bank only when the top of the interval is under the bank score; absent when not asked', () => {
    const top = 62 + (T2 * 2) / Math.sqrt(3); // 66.97
    expect(confidenceFields({ now: NOW, bankTotal: top + 0.01 }).belowBank).toBe(true);
    expect(confidenceFields({ now: NOW, bankTotal: top - 0.01 }).belowBank).toBe(false);
    expect(confidenceFields({ now: NOW, bankTotal: null }).belowBank).toBe(false);
    expect(confidenceFields({ now: NOW })).not.toHaveProperty('belowBank');
    // A benchmark's interval is withheld, so it is never "below".
    expect(confidenceFields({ now: NOW, bankTotal: 100, withheld: true }).belowBank).toBe(false);
  });
});

describe('moments of an area and rows with their fields', () => {
  test('the moments of branch scores per slot: each branch one value, a null left out of its slot', () => {
    const S = (g: number | null, p: number | null, s: number | null, f: number | null, total: number | null) => ({
      sections: { greeting: g, product_knowledge: p, sales_compliance: s, follow_up: f },
      total,
    });
    expect(momentsOfMeans([S(60, null, 1, null, 70), S(64, null, null, 2, null), S(62, 5, 3, null, 90)])).toEqual([
      m(60, 64, 62),
      m(5),
      m(1, 3),
      m(2),
      m(70, 90),
    ]);
    expect(momentsOfMeans([])).toEqual([m(), m(), m(), m(), m()]);
  });

  const row = (over: Partial<ResultRow> = {}): ResultRow => ({
    key: 'B01',
    name: 'Branch',
    n: 3,
    sections: { greeting: 62, product_knowledge: 70, sales_compliance: null, follow_up: 85 },
    total: 62,
    ...over,
  });

  test('withConfidence keeps the row and tests a change only when the row shows a previous quarter', () => {
    const before = [m(50, 70), m(), m(), m(), m(50, 70)];
    const shown = withConfidence(row({ previous: { sections: row().sections, total: 60 } }), { now: NOW, before });
    expect(shown).toEqual({
      ...row({ previous: { sections: row().sections, total: 60 } }),
      ...confidenceFields({ now: NOW, before }),
    });
    expect(shown.change).toEqual({ delta: 2, p: expect.any(Number), significant: false });
    const notShown = withConfidence(row(), { now: NOW, before, bankTotal: 100 });
    expect(notShown).toEqual({ ...row(), ...confidenceFields({ now: NOW, bankTotal: 100 }) });
    expect(notShown).not.toHaveProperty('change');
    expect(notShown.belowBank).toBe(true);
  });
});
