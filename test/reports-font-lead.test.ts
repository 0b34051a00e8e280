import zlib from 'node:zlib';
import * as fontkit from 'fontkit';
import { renderBranchReport } from '../reports';
import { adler32, adler32Combine, deflateKeepingPart } from '../reports/deflate-splice';
import { ReportDoc } from '../reports/doc';
import { commonCharacters } from '../reports/font-lead';
import { leadPartsReused, reportFont } from '../reports/fonts';
import type { ReportSnapshot } from '../reports/types';
import { LEAD_SAMPLES, leadLearner } from '../server/publishing/lead-learner';
import { threadRenderer } from '../server/publishing/render-pool';
import { packTask, renderPacked, renderTask, sharedPart, type RenderTask } from '../server/publishing/render-task';
import { BLANK_PAGE_META, fixtureSnapshot, pdfPixels, pdfText, withBranchDetail } from './helpers/reports';

/**
 * A font lead (reports/font-lead.ts): the glyphs every branch report of a close draws lead its font
 * subset, and that part of the font file is compressed once per thread (reports/deflate-splice.ts).
 * The PDFs must show the same text, map it to the same characters and read as valid zlib streams.
 */

/** Bytes that look random but are the same every run. */
function bytesOf(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // Half the bytes from a small alphabet, so that deflate finds repeats to refer back to.
    out[i] = i % 2 ? x & 0xff : 97 + ((x >>> 8) % 4);
  }
  return out;
}
const zlibAdler = (b: Buffer) => {
  const z = zlib.deflateSync(b);
  return z.readUInt32BE(z.length - 4);
};

describe('a zlib stream with a kept middle', () => {
  test('Adler-32 and its combination agree with zlib', () => {
    for (const n of [0, 1, 3_800, 3_801, 70_000, 200_000]) {
      const b = bytesOf(n, n + 7);
      expect(adler32(b)).toBe(zlibAdler(b));
      for (const cut of [0, Math.floor(n / 3), n]) {
        const [x, y] = [b.subarray(0, cut), b.subarray(cut)];
        expect(adler32Combine(adler32(x), adler32(y), y.length)).toBe(zlibAdler(b));
      }
    }
    // 0xff bytes drive both sums to their largest values between reductions.
    const ones = Buffer.alloc(100_000, 0xff);
    expect(adler32(ones)).toBe(zlibAdler(ones));
  });

  test('inflates to the same bytes; the middle is compressed once, when met again, and then appears as is in every stream', () => {
    const middle = bytesOf(60_000, 99);
    const spy = jest.spyOn(zlib, 'deflateRawSync');
    try {
      const inputs = [1, 2, 3].map((i) => Buffer.concat([bytesOf(150 + i, i), middle, bytesOf(5_000 * i, 10 + i)]));
      const outs = inputs.map((b, i) => deflateKeepingPart(b, 150 + i + 1, 150 + i + 1 + middle.length));
      outs.forEach((o, i) => expect(zlib.inflateSync(o).equals(inputs[i])).toBe(true));
      const best = spy.mock.calls.map((c, i) => [c, spy.mock.results[i].value as Buffer] as const);
      const keptOnce = best.filter(([c]) => (c[1] as zlib.ZlibOptions | undefined)?.level === 9);
      expect(keptOnce).toHaveLength(1);
      expect(outs[0].indexOf(keptOnce[0][1])).toBe(-1); // met once: compressed for that stream alone
      for (const o of outs.slice(1)) expect(o.indexOf(keptOnce[0][1])).toBeGreaterThan(0);
      // Not larger than one plain stream by more than the joins (a few bytes each).
      outs.forEach((o, i) => expect(o.length).toBeLessThan(zlib.deflateSync(inputs[i], { level: 1 }).length + 128));
    } finally {
      spy.mockRestore();
    }
  });

  test('a middle of the same length but other bytes is not taken for the kept one', () => {
    const a = Buffer.concat([bytesOf(100, 1), bytesOf(20_000, 5), bytesOf(100, 2)]);
    const b = Buffer.from(a);
    b[10_000] ^= 0x55;
    for (let i = 0; i < 3; i++) {
      expect(zlib.inflateSync(deflateKeepingPart(a, 100, 20_100)).equals(a)).toBe(true);
      expect(zlib.inflateSync(deflateKeepingPart(b, 100, 20_100)).equals(b)).toBe(true);
    }
  });

  test('middles that differ every time are never compressed at the best level', () => {
    const spy = jest.spyOn(zlib, 'deflateRawSync');
    try {
      for (let i = 0; i < 5; i++) {
        const a = Buffer.concat([bytesOf(100, 1), bytesOf(20_000, 50 + i), bytesOf(100, 2)]);
        expect(zlib.inflateSync(deflateKeepingPart(a, 100, 20_100)).equals(a)).toBe(true);
      }
      expect(spy.mock.calls.filter((c) => (c[1] as zlib.ZlibOptions | undefined)?.level === 9)).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
  });

  test('a range outside the bytes gives a plain zlib stream', () => {
    const a = bytesOf(5_000, 3);
    for (const [s, e] of [
      [0, 0],
      [0, 100],
      [100, 100],
      [4_000, 6_000],
    ])
      expect(deflateKeepingPart(a, s, e).equals(zlib.deflateSync(a, { level: 1 }))).toBe(true);
  });
});

interface GlyphFont {
  getGlyph(id: number): { path: { toSVG(): string } };
  glyphForCodePoint(cp: number): { path: { toSVG(): string } };
}

/** The font file of a PDF (the stream PDFKit gives a /Length1), compressed and inflated. */
function fontFileOf(pdf: Buffer): { compressed: Buffer; raw: Buffer } {
  const text = pdf.toString('latin1');
  const at = text.indexOf('/Length1 ');
  const [open, close] = [text.lastIndexOf('<<', at), text.indexOf('>>', at)];
  const length = Number(/\/Length (\d+)/.exec(text.slice(open, close))?.[1]);
  const start = text.indexOf('stream\n', close) + 'stream\n'.length;
  const compressed = pdf.subarray(start, start + length);
  return { compressed, raw: zlib.inflateSync(compressed) };
}

describe('a font lead in branch reports', () => {
  const s = fixtureSnapshot({ branches: 12 });
  const slice = (code: string): ReportSnapshot => withBranchDetail(s, code, 3);
  const codes = s.branches.slice(0, 5).map((b) => b.code);
  let lead = '';
  beforeAll(async () => {
    const drawn: string[] = [];
    for (const code of codes.slice(0, 3))
      await renderBranchReport(slice(code), code, { drawn: (chars) => drawn.push(chars) });
    lead = commonCharacters(drawn);
  });

  test('the same text and the same pixels; the subset starts with the glyphs of the lead characters', async () => {
    expect([...lead].length).toBeGreaterThan(100);
    const code = codes[4];
    const plain = await renderBranchReport(slice(code), code);
    const led = await renderBranchReport(slice(code), code, { fontLead: lead });
    expect(led.equals(plain)).toBe(false);
    expect(pdfText(led)).toBe(pdfText(plain));
    const [a, b] = [pdfPixels(plain), pdfPixels(led)];
    expect(b.length).toBe(a.length);
    b.forEach((page, i) => expect(page.equals(a[i])).toBe(true));
    // The embedded font is a valid TrueType file whose glyphs 1..n are the lead's characters' glyphs.
    const embedded = (fontkit as unknown as { create(b: Buffer): GlyphFont }).create(fontFileOf(led).raw);
    const font = reportFont() as unknown as GlyphFont;
    [...lead].forEach((ch, i) => {
      const svg = font.glyphForCodePoint(ch.codePointAt(0) as number).path.toSVG();
      expect(embedded.getGlyph(i + 1).path.toSVG()).toBe(svg);
    });
  });

  test('the lead part of the font file is compressed once for all reports', async () => {
    const fresh = [...lead].reverse().join(''); // a lead no other test used: its bytes are new to the thread
    const spy = jest.spyOn(zlib, 'deflateRawSync');
    try {
      const pdfs = [];
      for (const code of codes) pdfs.push(await renderBranchReport(slice(code), code, { fontLead: fresh }));
      const kept = spy.mock.results.filter((_, i) => (spy.mock.calls[i][1] as zlib.ZlibOptions)?.level === 9);
      expect(kept).toHaveLength(1);
      const part = kept[0].value as Buffer;
      expect(part.length).toBeGreaterThan(10_000);
      // The first report met the lead's glyphs first; from the second on they are the kept part.
      for (const pdf of pdfs.slice(1)) expect(fontFileOf(pdf).compressed.indexOf(part)).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });

  test("a subset starting with a lead met before takes the lead's kept glyph entries: the font file fontkit's own encoder makes", () => {
    type Subset = { glyphs: number[]; encode(): Uint8Array; includeGlyph(g: number): number; _addGlyph?: unknown };
    const subsetOf = (fontLead: string, text: string) => {
      const r = new ReportDoc(BLANK_PAGE_META, undefined, fontLead);
      r.para(text);
      return (r.doc as unknown as { _font: { subset: Subset } })._font.subset;
    };
    /** The same glyphs, in the same order, encoded by fontkit (2.0) itself, none of the reports' speed-ups. */
    const byFontkit = (glyphs: number[]) => {
      const ref = (reportFont() as unknown as { createSubset(): Subset }).createSubset();
      delete (ref as Partial<Subset>).encode;
      delete ref._addGlyph;
      for (const g of glyphs) ref.includeGlyph(g);
      return Buffer.from(ref.encode());
    };
    const before = leadPartsReused();
    // 间 is a composite glyph: its parts are in the lead, renumbered the same in every subset.
    const texts = ['门口 间隔 问题 Room 12', '支行 客户经理 未讲解风险揭示书', '问题 Room 12 另一份报告'];
    const subsets = texts.map((t) => subsetOf(`${lead}间`, t));
    expect(leadPartsReused() - before).toBe(0); // encoded when the documents end, or when asked
    const files = subsets.map((x) => Buffer.from(x.encode()));
    expect(leadPartsReused() - before).toBe(texts.length - 1);
    subsets.forEach((x, i) => expect(files[i].equals(byFontkit(x.glyphs))).toBe(true));
    expect(new Set(subsets.map((x) => x.glyphs.length)).size).toBeGreaterThan(1);
  });

  test('a character first met as a part of a lead glyph keeps its Unicode mapping', async () => {
    // 间 is drawn from 门 and a piece that is no character; with the lead "间" both come before
    // anything is drawn, the piece without a character (a gap in the Unicode map).
    const draw = async (fontLead?: string) => {
      const r = new ReportDoc(BLANK_PAGE_META, undefined, fontLead);
      r.para('门口 间隔 问题 Room 12');
      return r.finish();
    };
    const [plain, led] = [await draw(), await draw('间')];
    expect(pdfText(led)).toContain('门口 间隔 问题 Room 12');
    expect(pdfText(led)).toBe(pdfText(plain));
    // The lead's Unicode map (with its gap) is compressed at zlib's level 1 (0x7801), PDFKit's at its default.
    const cmaps = (pdf: Buffer) =>
      [...pdf.toString('latin1').matchAll(/<<\n((?:\/\w+ [^\n]*\n)*?)>>\nstream\n/g)]
        .filter((m) => m[1].includes('/Filter /FlateDecode\n'))
        .map((m) => {
          const at = m.index + m[0].length;
          return pdf.subarray(at, at + Number(/\/Length (\d+)\n/.exec(m[1])?.[1]));
        })
        .filter((z) => zlib.inflateSync(z).toString('latin1').includes('beginbfrange'));
    expect(cmaps(led).map((z) => z.subarray(0, 2).toString('hex'))).toEqual(['7801']);
    expect(cmaps(plain).map((z) => z.subarray(0, 2).toString('hex'))).toEqual(['789c']);
    expect(zlib.inflateSync(cmaps(led)[0]).toString('latin1')).toMatch(/endcmap\n[^]*end\nend\n$/);
  });
});

describe("the close's render threads learn a lead from the first branch reports", () => {
  test('the first reports carry none; the later ones the characters all of the first drew, the same bytes as in process', async () => {
    const s = fixtureSnapshot({ branches: 30 });
    const tasks: RenderTask[] = s.branches
      .slice(0, LEAD_SAMPLES + 2)
      .map((b) => ({ kind: 'branch', detail: withBranchDetail(s, b.code, 2).branchDetails[0] }));
    const drawn: string[] = [];
    for (const t of tasks.slice(0, LEAD_SAMPLES))
      await renderPacked(sharedPart(s), packTask(s, t), (chars) => drawn.push(chars));
    const lead = commonCharacters(drawn);

    const threads = await threadRenderer(s, 1);
    try {
      const fromThread: Buffer[] = [];
      // A region report first: only branch reports teach or take the lead.
      await threads.render({ kind: 'region', region: '华东区' });
      for (const t of tasks) fromThread.push(await threads.render(t));
      for (const [i, t] of tasks.entries()) {
        const plain = await renderTask(s, t);
        if (i < LEAD_SAMPLES) expect(fromThread[i].equals(plain)).toBe(true);
        else {
          expect(fromThread[i].equals(plain)).toBe(false);
          expect(fromThread[i].equals(await renderPacked(sharedPart(s), packTask(s, t, lead)))).toBe(true);
          expect(pdfText(fromThread[i])).toBe(pdfText(plain));
        }
      }
    } finally {
      await threads.close();
    }
  });

  test('the learner asks branch tasks only, as many as it needs, again for a failed one', () => {
    const learner = leadLearner(2);
    const branch = { kind: 'branch' } as RenderTask;
    expect(learner.ask({ kind: 'bank' })).toBe(false);
    expect([learner.ask(branch), learner.ask(branch), learner.ask(branch)]).toEqual([true, true, false]);
    learner.answer('支行网点');
    learner.answer(undefined); // failed: its place is asked again
    expect(learner.lead).toBeUndefined();
    expect(learner.ask(branch)).toBe(true);
    learner.answer('网点报告');
    expect(learner.lead).toBe('网点');
    expect(learner.ask(branch)).toBe(false);

    const nothingShared = leadLearner(2);
    nothingShared.ask(branch);
    nothingShared.ask(branch);
    nothingShared.answer('甲');
    nothingShared.answer('乙');
    expect(nothingShared.lead).toBeUndefined();
  });
});
