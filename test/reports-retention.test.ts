import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ReportDoc } from '../reports/doc';
import { reportFont } from '../reports/fonts';
import { BLANK_PAGE_META } from './helpers/reports';

/**
 * A finished report must not outlive itself. An object given a property that holds a closure over
 * itself survives V8's young-generation collections after it is dropped, until the next full one:
 * the hooks made per document (closures over it, stored on it) kept the whole ended document alive,
 * so each branch report of a close was promoted to the old generation (about 225 KB) and the render
 * threads' full collections were mostly clearing ended reports. The hooks (reports/pdfkit-speedups.ts,
 * the font subset's in reports/fonts.ts) are one function for every document.
 */

describe('an ended report is not kept by the render hooks', () => {
  it('uses one hook function for every document, page and font subset', async () => {
    const a = new ReportDoc(BLANK_PAGE_META);
    const b = new ReportDoc(BLANK_PAGE_META);
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
    expect(a.doc.listeners('pageAdded')).toEqual(b.doc.listeners('pageAdded'));
    expect(a.doc.listeners('pageAdded').length).toBeGreaterThan(0);
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
    const count = [
      new ReportDoc(BLANK_PAGE_META, { mode: 'count' }),
      new ReportDoc(BLANK_PAGE_META, { mode: 'count' }),
    ];
    const stream = new ReportDoc(BLANK_PAGE_META, { mode: 'stream', pages: 1 });
    const [c1, c2, s1p] = [...count, stream].map((r) => r.doc as unknown as Paged);
    expect(c1.addPage).toBe(c2.addPage);
    expect(c1.addPage).toBe(s1p.addPage);
    expect(c1.addContent).toBe(c2.addContent);
    await Promise.all([...count, stream].map((r) => r.finish()));
  });

  it('leaves nothing of a rendered branch report to be promoted by young collections', () => {
    // In a process of its own (test/helpers/report-retention-probe.ts), as a render thread is: what a
    // test runner's process already holds changes what V8 keeps.
    const probe = spawnSync(
      process.execPath,
      ['--expose-gc', '-r', '@swc-node/register', path.join(__dirname, 'helpers', 'report-retention-probe.ts')],
      { cwd: path.join(__dirname, '..'), encoding: 'utf8', timeout: 120_000 },
    );
    expect(probe.stderr).toBe('');
    const { promoted } = JSON.parse(probe.stdout) as { promoted: number[] };
    expect(promoted).toHaveLength(12);
    const median =
      [...promoted]
        .sort((a, b) => a - b)
        .slice(5, 7)
        .reduce((a, b) => a + b) / 2;
    // Measured (median of twelve): about 196 KB with hooks made per document (the whole ended
    // document), 2–5 KB with the shared hooks.
    expect(median).toBeLessThan(100_000);
  });
});
