import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import { alpha as referenceAlpha } from 'krippendorff';
import {
  biasOf,
  itemAgreement,
  leniencyFromSums,
  leniencyOf,
  referenceAgreementOf,
  roundFigures,
  type BranchAuditorSums,
  type CoderSheet,
  type FieldVisit,
} from '../server/rules/calibration';
import { intervalAlpha } from '../server/rules/krippendorff';

/**
 * SPEC §12 against the published worked example and a second implementation (the `krippendorff`
 * package, which builds the full coincidence matrix), and the leniency flag on seeded auditors.
 */

const _ = null;
// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers × 12
// units with missing values. Published: α nominal = 0.743, interval = 0.849, ratio = 0.797.
const PAPER = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
];
const unitsOf = (byCoder: (number | null)[][]) => byCoder[0].map((__, u) => byCoder.map((row) => row[u]));
const squared = (a: number, b: number) => (a - b) ** 2;

describe("Krippendorff's alpha, interval metric", () => {
  test("the paper's worked example with missing values: α = 0.849 (unit 12 has one value and is not pairable)", () => {
    const r = intervalAlpha(unitsOf(PAPER));
    expect(r.alpha).toBeCloseTo(0.849, 3);
    expect(r.units).toBe(11);
    expect(r.pairable).toBe(40);
  });

  test('equals the second implementation on the example and on random data with gaps', () => {
    const toRef = (m: (number | null)[][]) => m.map((row) => row.map((v) => (v === null ? undefined : v)));
    expect(intervalAlpha(unitsOf(PAPER)).alpha).toBeCloseTo(referenceAlpha(toRef(PAPER), squared), 12);
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }), { minLength: 6, maxLength: 6 }), {
          minLength: 3,
          maxLength: 5,
        }),
        (m) => {
          const ours = intervalAlpha(unitsOf(m)).alpha;
          if (ours === null) return;
          expect(Math.abs(ours - referenceAlpha(toRef(m), squared))).toBeLessThan(1e-9);
        },
      ),
      propertyRuns(100),
    );
  });

  test('two values in one unit: disagreement is as likely as chance (α = 0); agreement leaves α undefined', () => {
    // D_o = (1 − 0)² · 2 / 1 / 2 = 1; D_e = 2 / (2 · 1) = 1
    expect(intervalAlpha([[1, 0]])).toEqual({ alpha: 0, pairable: 2, units: 1, observed: 1, expected: 1 });
    expect(intervalAlpha([[0.3, 0.3, 0.3]])).toEqual({ alpha: null, pairable: 3, units: 1, observed: 0, expected: 0 });
    expect(intervalAlpha([[0.3, null]])).toEqual({
      alpha: null,
      pairable: 0,
      units: 0,
      observed: null,
      expected: null,
    });
  });

  test('by hand: agreement on two units and a split third, α = 1 − D_o / D_e = 4/9', () => {
    // D_o = (0 + 0 + 2 / 1) / 6 = 1/3; D_e: three 0s and three 1s, 18 ordered pairs disagree → 18 / 30 = 0.6
    expect(
      intervalAlpha([
        [0, 0],
        [1, 1],
        [0, 1],
      ]),
    ).toEqual({
      alpha: expect.closeTo(4 / 9, 12),
      pairable: 6,
      units: 3,
      observed: expect.closeTo(1 / 3, 12),
      expected: expect.closeTo(0.6, 12),
    });
  });

  test('perfect agreement is 1; no variation at all or nothing pairable is undefined (null)', () => {
    expect(
      intervalAlpha([
        [1, 1, 1],
        [0, 0, 0],
        [0.5, 0.5, null],
      ]).alpha,
    ).toBe(1);
    expect(
      intervalAlpha([
        [1, 1, 1],
        [1, 1, 1],
      ]).alpha,
    ).toBeNull();
    expect(
      intervalAlpha([
        [1, null, null],
        [null, 0, null],
      ]).alpha,
    ).toBeNull();
  });
});

describe('a calibration round', () => {
  const sheet = (auditorId: string, answers: [string, unknown, number | null][]): CoderSheet => ({
    auditorId,
    answers: new Map(answers.map(([k, value, score]) => [k, { value, score }])),
  });
  const sheets = [
    sheet('a', [
      ['g1', 'yes', 1],
      ['g2', 4, 0.75],
      ['c1', 'yes', 1],
    ]),
    sheet('b', [
      ['g1', 'yes', 1],
      ['g2', 3, 0.5],
      ['c1', 'no', 0],
    ]),
    sheet('c', [
      ['g1', 'no', 0],
      ['g2', 4, 0.75],
      ['c1', 'na', null],
    ]),
  ];

  test('agreement per item, bias per auditor, agreement with the reference', () => {
    const r = roundFigures(
      sheets,
      ['g1', 'g2', 'c1'],
      new Map<string, unknown>([
        ['g1', 'yes'],
        ['c1', 'no'],
      ]),
    );
    expect(r.items).toEqual([
      { itemKey: 'g1', agreement: 2 / 3, answers: 3 },
      { itemKey: 'g2', agreement: 2 / 3, answers: 3 },
      // yes, no, na: each once
      { itemKey: 'c1', agreement: 1 / 3, answers: 3 },
    ]);
    // a: g1 1 − mean(1, 0) = 0.5; g2 0.75 − mean(0.5, 0.75) = 0.125; c1 1 − mean(0) = 1 → 1.625 / 3
    const a = r.auditors.find((x) => x.auditorId === 'a');
    expect(a?.bias).toBeCloseTo(1.625 / 3, 12);
    // c: g1 0 − 1 = −1; g2 0.75 − 0.625 = 0.125; c1 na (left out) → −0.875 / 2
    expect(r.auditors.find((x) => x.auditorId === 'c')?.bias).toBeCloseTo(-0.4375, 12);
    // reference g1 yes, c1 no: a 1 of 2; b 2 of 2; c 0 of 2 (na is not "no")
    expect(r.auditors.map((x) => x.referenceAgreement)).toEqual([0.5, 1, 0]);
    expect(r.alpha).toBeCloseTo(
      intervalAlpha([
        [1, 1, 0],
        [0.75, 0.5, 0.75],
        [1, 0, null],
      ]).alpha as number,
      12,
    );
  });

  test('without a reference, or with an empty one, there is no reference agreement', () => {
    for (const reference of [null, new Map<string, unknown>()]) {
      const r = roundFigures(sheets, ['g1'], reference);
      expect(r.auditors.every((x) => !('referenceAgreement' in x))).toBe(true);
    }
  });

  /** a skipped c1 (no answer at all), b answered g2 `na`, only a scored x1, nobody answered zz. */
  const gaps = [
    sheet('a', [
      ['g1', 'yes', 1],
      ['g2', 4, 0.75],
      ['x1', 'yes', 1],
    ]),
    sheet('b', [
      ['g1', 'yes', 1],
      ['g2', 'na', null],
      ['c1', 'no', 0],
    ]),
    sheet('c', [
      ['g1', 'no', 0],
      ['g2', 2, 0.25],
      ['c1', 'yes', 1],
    ]),
  ];
  const KEYS = ['g1', 'g2', 'c1', 'x1', 'zz'];

  test('gaps: a skipped item is no answer, `na` is an answer but no score, an item scored by one alone has no bias', () => {
    const r = roundFigures(gaps, KEYS, null);
    expect(r.items).toEqual([
      { itemKey: 'g1', agreement: 2 / 3, answers: 3 },
      // 4, na, 2: each once
      { itemKey: 'g2', agreement: 1 / 3, answers: 3 },
      // a gave none: no, yes
      { itemKey: 'c1', agreement: 1 / 2, answers: 2 },
      { itemKey: 'x1', agreement: 1, answers: 1 },
      { itemKey: 'zz', agreement: null, answers: 0 },
    ]);
    expect(r.auditors).toEqual([
      // g1 1 − mean(1, 0) = 0.5; g2 0.75 − 0.25 (b's na is no score) = 0.5; c1 none; x1 nobody else → 0.5
      { auditorId: 'a', bias: 0.5 },
      // g1 1 − mean(1, 0) = 0.5; g2 na; c1 0 − 1 (a gave none) = −1 → −0.25
      { auditorId: 'b', bias: -0.25 },
      // g1 0 − 1 = −1; g2 0.25 − 0.75 = −0.5; c1 1 − 0 = 1 → −0.5 / 3
      { auditorId: 'c', bias: expect.closeTo(-1 / 6, 12) },
    ]);
    expect(r.alpha).toBe(
      intervalAlpha([
        [1, 1, 0],
        [0.75, null, 0.25],
        [null, 0, 1],
        [1, null, null],
        [null, null, null],
      ]).alpha,
    );
    expect(biasOf('nobody', gaps, KEYS)).toBeNull();
    expect(itemAgreement([])).toBeNull();
  });

  test('reference agreement counts only the reference items the auditor answered', () => {
    const r = roundFigures(
      gaps,
      KEYS,
      new Map<string, unknown>([
        ['c1', 'no'],
        ['zz', 'yes'],
      ]),
    );
    // a answered neither c1 nor zz: nothing to compare; b 1 of 1; c 0 of 1
    expect(r.auditors.map((x) => x.referenceAgreement)).toEqual([null, 1, 0]);
    expect(referenceAgreementOf(gaps[0], new Map([['g2', 4]]))).toBe(1);
  });
});

describe('field leniency', () => {
  /** Ten branches; a fair auditor near the others, a harsh one 15 below, a lenient one 12 above. */
  function seeded(): FieldVisit[] {
    const out: FieldVisit[] = [];
    for (let b = 0; b < 10; b++) {
      const level = 60 + b * 3;
      out.push({ auditorId: 'fair1', branchCode: `B${b}`, total: level + (b % 2 ? 2 : -2) });
      out.push({ auditorId: 'fair2', branchCode: `B${b}`, total: level + (b % 3) - 1 });
      if (b < 6) out.push({ auditorId: 'harsh', branchCode: `B${b}`, total: level - 15 });
      if (b >= 4) out.push({ auditorId: 'lenient', branchCode: `B${b}`, total: level + 12 });
    }
    out.push({ auditorId: 'alone', branchCode: 'Z', total: 20 });
    return out;
  }

  test('the harsh and the lenient auditor are flagged, the fair ones are not', () => {
    const byId = new Map(leniencyOf(seeded()).map((l) => [l.auditorId, l]));
    expect(byId.get('harsh')).toMatchObject({ visits: 6, flagged: true });
    expect(byId.get('harsh')?.leniency).toBeLessThan(-10);
    expect(byId.get('lenient')).toMatchObject({ visits: 6, flagged: true });
    expect(byId.get('lenient')?.leniency).toBeGreaterThan(10);
    for (const id of ['fair1', 'fair2']) {
      expect(byId.get(id)?.flagged).toBe(false);
      expect(Math.abs(byId.get(id)?.leniency ?? 99)).toBeLessThan(10);
    }
    // A branch nobody else visited gives nothing to compare with.
    expect(byId.get('alone')).toEqual({ auditorId: 'alone', leniency: null, visits: 0, flagged: false });
  });

  test('the exact rule: mean of (total − mean of the others at the branch); |x| > 10 with ≥ 5 visits', () => {
    const v = (auditorId: string, branchCode: string, total: number | null): FieldVisit => ({
      auditorId,
      branchCode,
      total,
    });
    const r = leniencyOf([
      v('x', 'A', 80),
      v('y', 'A', 60),
      v('y', 'A', 70),
      v('x', 'B', 50),
      v('z', 'B', 40),
      v('x', 'C', null),
    ]);
    // x: A 80 − 65 = 15, B 50 − 40 = 10 → 12.5 over 2 visits: not flagged (fewer than 5)
    expect(r.find((l) => l.auditorId === 'x')).toEqual({ auditorId: 'x', leniency: 12.5, visits: 2, flagged: false });
    // y: each A visit against x's 80 → −20 and −10 → −15
    expect(r.find((l) => l.auditorId === 'y')?.leniency).toBe(-15);
    const five = [1, 2, 3, 4, 5].flatMap((i) => [v('h', `b${i}`, 60), v('o', `b${i}`, 70)]);
    expect(leniencyOf(five).find((l) => l.auditorId === 'h')).toMatchObject({ leniency: -10, flagged: false });
    const fiveAndABit = [1, 2, 3, 4, 5].flatMap((i) => [v('h', `b${i}`, 59.9), v('o', `b${i}`, 70)]);
    expect(leniencyOf(fiveAndABit).find((l) => l.auditorId === 'h')?.flagged).toBe(true);
    const fourAndABit = [1, 2, 3, 4].flatMap((i) => [v('h', `b${i}`, 59.9), v('o', `b${i}`, 70)]);
    expect(leniencyOf(fourAndABit).find((l) => l.auditorId === 'h')?.flagged).toBe(false);
  });

  test('every auditor met is a row, sorted by id whatever the order of the visits', () => {
    const v = (auditorId: string, branchCode: string, total: number | null): FieldVisit => ({
      auditorId,
      branchCode,
      total,
    });
    expect(leniencyOf([v('z', 'A', 70), v('m', 'B', null), v('a', 'A', 50), v('z', 'A', 90)])).toEqual([
      // a: 50 − mean(70, 90) = −30; z: 70 − 50 and 90 − 50 → 30 over 2 visits
      { auditorId: 'a', leniency: -30, visits: 1, flagged: false },
      { auditorId: 'm', leniency: null, visits: 0, flagged: false },
      { auditorId: 'z', leniency: 30, visits: 2, flagged: false },
    ]);
    expect(leniencyOf([])).toEqual([]);
  });
});

describe('leniency from the kept per-branch sums', () => {
  test('worked by hand: the flag at |x| > 10 with 5 visits, sorted by id, an auditor without totals here', () => {
    const branch = (h: number): BranchAuditorSums => ({
      o: { n: 1, sum: 70 },
      q: { n: 0, sum: 0 },
      h: { n: 1, sum: h },
    });
    // h: 59.9 − 70 = −10.1 at five branches; o the mirror image; q gave no total anywhere.
    expect(leniencyFromSums([1, 2, 3, 4, 5].map(() => branch(59.9)))).toEqual([
      { auditorId: 'h', leniency: expect.closeTo(-10.1, 9), visits: 5, flagged: true },
      { auditorId: 'o', leniency: expect.closeTo(10.1, 9), visits: 5, flagged: true },
      { auditorId: 'q', leniency: null, visits: 0, flagged: false },
    ]);
    // Exactly 10 away is not flagged; neither is 10.1 on four visits.
    expect(leniencyFromSums([1, 2, 3, 4, 5].map(() => branch(60))).map((l) => l.flagged)).toEqual([
      false,
      false,
      false,
    ]);
    expect(leniencyFromSums([1, 2, 3, 4].map(() => branch(59.9))).map((l) => l.flagged)).toEqual([false, false, false]);
    // Two visits of h against three of o (sums 150 and 240): 150 − 2 · 240 / 3 = −10 over 2 visits → −5.
    expect(leniencyFromSums([{ h: { n: 2, sum: 150 }, o: { n: 3, sum: 240 } }])[0]).toEqual({
      auditorId: 'h',
      leniency: -5,
      visits: 2,
      flagged: false,
    });
  });

  test('equals the per-visit rule on any visits', () => {
    const visit = fc.record({
      auditorId: fc.constantFrom('a', 'b', 'c', 'd'),
      branchCode: fc.constantFrom('X', 'Y', 'Z'),
      total: fc.option(fc.integer({ min: 0, max: 100 }), { freq: 8 }),
    });
    fc.assert(
      fc.property(fc.array(visit, { maxLength: 40 }), (visits: FieldVisit[]) => {
        const sums = new Map<string, Record<string, { n: number; sum: number }>>();
        for (const v of visits) {
          const b = sums.get(v.branchCode) ?? {};
          sums.set(v.branchCode, b);
          const a = (b[v.auditorId] ??= { n: 0, sum: 0 });
          if (v.total !== null) {
            a.n += 1;
            a.sum += v.total;
          }
        }
        const fromSums = leniencyFromSums([...sums.values()] as BranchAuditorSums[]);
        const fromVisits = leniencyOf(visits);
        expect(fromSums.map((l) => [l.auditorId, l.visits, l.flagged])).toEqual(
          fromVisits.map((l) => [l.auditorId, l.visits, l.flagged]),
        );
        fromSums.forEach((l, i) => {
          const want = fromVisits[i].leniency;
          if (want === null) expect(l.leniency).toBeNull();
          else expect(Math.abs((l.leniency as number) - want)).toBeLessThan(1e-9);
        });
      }),
      propertyRuns(100),
    );
  });
});
