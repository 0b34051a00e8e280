import v8 from 'node:v8';
import vm from 'node:vm';
import { renderBranchReport } from '../reports';
import { ReportDoc } from '../reports/doc';
import { reportFont } from '../reports/fonts';
import { fixtureSnapshot, withBranchDetail } from './helpers/reports';

/**
 * A finished report must not outlive itself. An object given a property that holds a closure over
 * itself survives V8's young-generation collections after it is dropped, until the next full one:
 * the hooks made per document (closures over it, stored on it) kept the whole ended document alive,
 * so each branch report of a close was promoted to the old generation (about 225 KB) and the render
 * threads' full collections were mostly clearing ended reports. The hooks (reports/pdfkit-speedups.ts,
 * the font subset's in reports/fonts.ts) are one function for every document.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0;

const snapshot = fixtureSnapshot();
const code = snapshot.branches[0].code;
const slice = withBranchDetail(snapshot, code, 4);
// Many distinct glyphs, so that the document's subset (one entry per glyph) is large.
slice.branchDetails[0].visits[0].summary = Array.from({ length: 600 }, (_, i) => String.fromCharCode(0x4e00 + i)).join(
  '',
);

const meta = {
  headerLeft: 'h',
  headerRight: 'h',
  footerLeft: 'f',
  pageLabel: () => '1',
  title: 't',
  author: 'a',
  createdAt: new Date(0),
};

describe('an ended report is not kept by the render hooks', () => {
  it('uses one hook function for every document, page and font subset', async () => {
    const a = new ReportDoc(meta);
    const b = new ReportDoc(meta);
    type Hooked = {
      widthOfString: unknown;
      heightOfString: unknown;
      _font: { embed: unknown };
      page: { content: { write: unknown; finalize: unknown } };
    };
    const da = a.doc as unknown as Hooked;
    const db = b.doc as unknown as Hooked;
    expect(da.widthOfString).toBe(db.widthOfString);
    expect(da.heightOfString).toBe(db.heightOfString);
    expect(da._font.embed).toBe(db._font.embed);
    const firstPage = da.page.content;
    a.newPage();
    expect(da.page.content).not.toBe(firstPage);
    expect(da.page.content.write).toBe(firstPage.write);
    expect(da.page.content.finalize).toBe(db.page.content.finalize);
    const font = reportFont() as unknown as { createSubset(): { encode: unknown; _addGlyph: unknown } };
    const [s1, s2] = [font.createSubset(), font.createSubset()];
    expect(s1.encode).toBe(s2.encode);
    expect(s1._addGlyph).toBe(s2._addGlyph);
    await Promise.all([a.finish(), b.finish()]);
    // The two-pass reports' page hooks (bank and region reports of a large bank).
    type Paged = { addPage: unknown; addContent: unknown };
    const count = [new ReportDoc(meta, { mode: 'count' }), new ReportDoc(meta, { mode: 'count' })];
    const stream = new ReportDoc(meta, { mode: 'stream', pages: 1 });
    const [c1, c2, s1p] = [...count, stream].map((r) => r.doc as unknown as Paged);
    expect(c1.addPage).toBe(c2.addPage);
    expect(c1.addPage).toBe(s1p.addPage);
    expect(c1.addContent).toBe(c2.addContent);
    await Promise.all([...count, stream].map((r) => r.finish()));
  });

  it('leaves nothing of a rendered branch report to be promoted by young collections', async () => {
    // Warm up: the code optimised, the process-wide caches (layouts, measures, glyphs) filled.
    for (let i = 0; i < 30; i++) await renderBranchReport(slice, code);
    const promoted: number[] = [];
    for (let i = 0; i < 5; i++) {
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      const before = oldSpace();
      const pdf = await renderBranchReport(slice, code);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      await new Promise((resolve) => setImmediate(resolve));
      // Whatever survives two young collections after the report has ended is promoted.
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      promoted.push(oldSpace() - before);
    }
    // Measured here: 520–550 KB each time with hooks made per document (the whole ended document),
    // 80–110 KB with the shared hooks.
    expect(Math.min(...promoted)).toBeLessThan(250_000);
  });
});
