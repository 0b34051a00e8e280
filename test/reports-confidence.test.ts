import { renderBankReport } from '../reports';
import type { FigureConfidence, ReportSnapshot } from '../reports/types';
import { figureConfidence } from '../server/publishing/snapshot';
import type { ResultRow } from '../server/results/service';
import { fixtureSnapshot, pdfText } from './helpers/reports';

/**
 * SPEC §11 in the PDFs: "±" beside the scores and in the league table, the change marked
 * significant / not significant / too little data, the small-sample warning, and the method notes
 * in plain words (with the calibration alpha, all a bank sees of SPEC §12). Read back with pdftotext.
 */

const conf = (half: number | null, verdict: FigureConfidence['verdict'][number], small = false): FigureConfidence => ({
  halfWidth: [half, half, half, half, half],
  verdict: [verdict, verdict, verdict, verdict, verdict],
  smallSample: small,
});

function withConfidence(lang: 'zh' | 'en'): ReportSnapshot {
  const s = fixtureSnapshot({ branches: 12, lang });
  s.bank.language = lang;
  s.bankFigures.confidence = conf(4.26, 'sig');
  s.branches = s.branches.map((b, i) => ({
    ...b,
    // The lowest-scoring branch rests on one visit: the league table must say so.
    n: i === 0 ? 1 : 6,
    total: i === 0 ? 5 : b.total,
    confidence: i === 0 ? conf(null, b.previous ? 'few' : null, true) : conf(7.04, b.previous ? 'nsig' : null),
  }));
  s.calibrationAlpha = 0.8123;
  return s;
}

describe('SPEC §11 in the bank report', () => {
  test('Chinese: intervals, verdicts, the small-sample warning and the method notes', async () => {
    const text = pdfText(await renderBankReport(withConfidence('zh')));
    expect(text).toContain('±4.3');
    expect(text).toContain('±7.0');
    expect(text).toContain('显著');
    expect(text).toMatch(/请谨慎解读：本表首行或末行的 JN-001/);
    expect(text).toContain('95% 区间');
    expect(text).toContain('Welch t 检验');
    expect(text).toContain('Krippendorff alpha = 0.81');
  });

  test('English, and a snapshot from before §11 renders as before (no columns, no notes about them in tables)', async () => {
    const text = pdfText(await renderBankReport(withConfidence('en')));
    expect(text).toContain('significant');
    expect(text).toContain('fewer than 3 visits');
    const old = fixtureSnapshot({ branches: 12 });
    const before = pdfText(await renderBankReport(old));
    expect(before).not.toContain('±');
    expect(before).not.toContain('Krippendorff');
  });
});

describe('the snapshot keeps the figures of the results rows', () => {
  test('half-widths, verdicts in words and the small-sample flag, sections then total', () => {
    const score = (
      lo: number,
      hi: number,
      change?: { delta: number; p: number | null; significant: boolean | null },
    ) => ({
      n: 4,
      sd: 1,
      ci95: [lo, hi] as [number, number],
      smallSample: false,
      ...(change ? { change } : {}),
    });
    const row = {
      key: 'B',
      name: 'B',
      n: 2,
      smallSample: true,
      sections: { greeting: 1, product_knowledge: 2, sales_compliance: 3, follow_up: 4 },
      total: 5,
      confidence: {
        sections: {
          greeting: score(0, 2, { delta: 1, p: 0.01, significant: true }),
          product_knowledge: score(0, 4, { delta: 1, p: 0.5, significant: false }),
          sales_compliance: score(1, 2, { delta: 1, p: null, significant: null }),
          follow_up: score(2, 2),
        },
        total: score(3, 7),
      },
    } as unknown as ResultRow;
    expect(figureConfidence(row)).toEqual({
      halfWidth: [1, 2, 0.5, 0, 2],
      verdict: ['sig', 'nsig', 'few', null, null],
      smallSample: true,
    });
    expect(figureConfidence({ ...row, confidence: undefined })).toBeUndefined();
  });
});
