import { renderBankReport, renderBranchReport, renderRegionReport } from '../reports';
import { fileName, contentDisposition } from '../server/publishing/files';
import { fixtureSnapshot, pdfPageCount, pdfText, withBranchDetail } from './helpers/reports';

/** The PDF builders on fixture snapshots, read back with poppler's pdftotext. */

const isPdf = (pdf: Buffer) => {
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.subarray(-16).toString('latin1')).toContain('%%EOF');
};

/** Each page's text (pdftotext separates pages with a form feed). */
const pages = (text: string) => text.split('\f').filter((p) => p.trim() !== '');

describe('bank report', () => {
  const snapshot = fixtureSnapshot({ branches: 140 });
  let pdf: Buffer;
  let text: string;
  beforeAll(async () => {
    pdf = await renderBankReport(snapshot);
    text = pdfText(pdf);
  });

  test("is a valid PDF with Chinese text, the quarter and the snapshot's numbers", () => {
    isPdf(pdf);
    expect(text).toContain('江南商业银行');
    expect(text).toContain('神秘顾客暗访季度报告');
    expect(text).toContain('2026-Q3');
    for (const b of snapshot.branches.slice(0, 40)) expect(text).toContain(b.name);
    // Scores: one decimal, half away from zero (84.25 → 84.3, 66.6666 → 66.7, 77.9875 → 78.0).
    expect(text).toContain('84.3');
    expect(text).toContain('66.7');
    expect(text).toContain('78.0');
    expect(text).toContain('+1.0'); // total against the previous quarter
    expect(text).toContain('37.5%'); // key problem failure rate
    expect(text).toMatch(/\b3 ?\/ ?8\b/);
    for (const k of [
      '迎接顾客',
      '产品知识',
      '销售合规',
      '后续服务',
      '区域排名',
      '网点排名',
      '主要问题',
      '合规违规',
      '方法说明',
      '近四个季度趋势',
      '网点间差异',
    ])
      expect(text).toContain(k);
  });

  test('every page has the header and "page x of y" footer', () => {
    const count = pdfPageCount(pdf);
    expect(count).toBeGreaterThan(4);
    const list = pages(text);
    expect(list).toHaveLength(count);
    list.forEach((p, i) => {
      expect(p).toContain('江南商业银行 · 2026-Q3 · 第 2 版');
      expect(p).toContain(`第 ${i + 1} 页，共 ${count} 页`);
      expect(p).toContain('生成时间 2026-10-08 09:15 +08:00');
    });
  });

  test('the branch league table breaks across pages and repeats its header', () => {
    // 140 branches: the table runs over several pages, each starting with the column header.
    const withLeague = pages(text).filter((p) => /^\s*\d+ JN-\d{3}/m.test(p));
    expect(withLeague.length).toBeGreaterThanOrEqual(3);
    for (const p of withLeague) expect(p).toMatch(/名次 代码\s+名称\s+区域/);
    // Every branch is listed exactly once in the league table.
    const rows = withLeague.join('\n').match(/^\s*\d+ JN-\d{3}/gm) ?? [];
    expect(rows).toHaveLength(140);
  });

  test('English labels for an English-language bank', async () => {
    const en = pdfText(await renderBankReport(fixtureSnapshot({ lang: 'en', branches: 10 })));
    expect(en).toContain('Mystery shopper quarterly report');
    expect(en).toMatch(/Page 1 of \d+/);
    expect(en).toContain('Sales compliance');
    expect(en).toContain('Branch league table');
    expect(en).not.toContain('迎接顾客');
    expect(en).toContain('上海浦东支行'); // names stay as the bank wrote them
  });
});

describe('branch report', () => {
  test("its scores against region and bank, each visit's answers and comments, violations", async () => {
    const s = withBranchDetail(fixtureSnapshot(), 'JN-002');
    const pdf = await renderBranchReport(s, 'JN-002');
    isPdf(pdf);
    const text = pdfText(pdf);
    const b = s.branches.find((x) => x.code === 'JN-002');
    expect(text).toContain(b?.name);
    expect(text).toContain('网点：JN-002');
    expect(text).toContain('74.4'); // the region's total
    expect(text).toContain('未讲解风险揭示书，直接让顾客签字');
    expect(text).toContain('大堂经理热情，但未讲解风险揭示书。');
    expect(text).toContain('王小明');
    expect(text).toContain('第 1 次暗访（共 2 次）');
    expect(text).toContain('不适用');
    expect(text).toContain('关键项');
    expect(text).toMatch(/第 1 页，共 \d+ 页/);
  });

  test('a region benchmark with a single other branch is withheld', async () => {
    const s = withBranchDetail(fixtureSnapshot(), 'JN-002');
    s.branchDetails[0].benchmarks.region = null;
    const text = pdfText(await renderBranchReport(s, 'JN-002'));
    expect(text).toContain('不予显示');
    expect(text).not.toContain('74.4');
  });
});

describe('region report', () => {
  test('its branches only, and the bank benchmark unless withheld', async () => {
    const s = fixtureSnapshot();
    const south = pdfText(await renderRegionReport(s, '华南区'));
    expect(south).toContain('区域：华南区');
    const inRegion = s.branches.filter((b) => b.region === '华南区');
    const elsewhere = s.branches.filter((b) => b.region !== '华南区');
    for (const b of inRegion) expect(south).toContain(b.code);
    for (const b of elsewhere) expect(south).not.toContain(b.code);
    expect(south).toContain('78.0'); // the bank's total as benchmark
    const north = pdfText(await renderRegionReport(s, '华北区')); // fixture: bank withheld here
    expect(north).toContain('不予显示');
  });
});

describe('file names', () => {
  test('UTF-8 name with an ASCII fallback, per RFC 5987', () => {
    const name = fileName(
      { code: 'JN', name: '江南商业银行' },
      { quarter: '2026-Q3', version: 2 },
      { kind: 'branch', name: '上海"浦东"/支行', branchCode: 'JN-E01' },
    );
    expect(name.utf8).toBe('江南商业银行_2026-Q3_v2_JN-E01_上海_浦东__支行.pdf');
    expect(name.ascii).toBe('JN_2026-Q3_v2_branch_JN-E01.pdf');
    expect(contentDisposition(name)).toBe(
      `attachment; filename="JN_2026-Q3_v2_branch_JN-E01.pdf"; filename*=UTF-8''${encodeURIComponent(name.utf8)}`,
    );
  });
});

describe('font subsets', () => {
  test('the cached glyph path builds exactly the subset fontkit builds, composite glyphs included', async () => {
    const fontkit = await import('fontkit');
    const { reportFont } = await import('../reports/fonts');
    type F = {
      numGlyphs: number;
      getGlyph(id: number): { _decode(): { numberOfContours: number } | null };
      glyphsForString(s: string): { id: number }[];
      createSubset(): { includeGlyph(id: number): number; encode(): Uint8Array };
    };
    const fast = reportFont() as unknown as F;
    const plain = fontkit.openSync(
      '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
      'WenQuanYiMicroHei',
    ) as unknown as F;
    const composites: number[] = [];
    for (let gid = 0; gid < plain.numGlyphs && composites.length < 40; gid++)
      if ((plain.getGlyph(gid)._decode()?.numberOfContours ?? 0) < 0) composites.push(gid);
    expect(composites.length).toBe(40);
    const ids = [
      ...plain.glyphsForString('江南商业银行 上海浦东支行 2026-Q3 84.3% ÀÉü “”').map((g) => g.id),
      ...composites,
    ];
    // Twice: the second run is served from the cache.
    for (let round = 0; round < 2; round++) {
      const a = plain.createSubset();
      const b = fast.createSubset();
      for (const id of ids) {
        a.includeGlyph(id);
        b.includeGlyph(id);
      }
      expect(Buffer.from(b.encode()).equals(Buffer.from(a.encode()))).toBe(true);
    }
  });
});
