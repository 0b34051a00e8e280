import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import { alpha as referenceAlpha } from 'krippendorff';
import {
  leniencyFromSums,
  leniencyOf,
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

  test('without a reference there is no reference agreement', () => {
    const r = roundFigures(sheets, ['g1'], null);
    expect(r.auditors.every((x) => !('referenceAgreement' in x))).toBe(true);
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
  });
});

describe('leniency from the kept per-branch sums', () => {
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
