import v8 from 'node:v8';
import { renderBranchReport } from '../../reports';
import { fixtureSnapshot, withBranchDetail } from '../../reports/sample';

/**
 * Run by test/reports-retention.test.ts in a process of its own (node --expose-gc): renders a
 * branch report again and again and prints, for twelve of them, how many bytes the old generation
 * gained from two young collections after the report had ended. (The process-wide caches of laid-out
 * strings and measures are bounded; now and then one of them is renewed and its entries promoted,
 * which is why the test looks at the median.) A fresh process, as a render thread is: what a test
 * runner's process already holds changes what V8 keeps.
 */
const gc = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0;

async function main(): Promise<void> {
  const snapshot = fixtureSnapshot();
  const code = snapshot.branches[0].code;
  const slice = withBranchDetail(snapshot, code, 4);
  // Warm-up: the code optimised, the process-wide caches (layouts, measures, glyphs) filled.
  for (let i = 0; i < 30; i++) await renderBranchReport(slice, code);
  const promoted: number[] = [];
  for (let i = 0; i < 12; i++) {
    gc?.({ type: 'minor' });
    gc?.({ type: 'minor' });
    const before = oldSpace();
    const pdf = await renderBranchReport(slice, code);
    if (pdf.subarray(0, 5).toString() !== '%PDF-') throw new Error('not a PDF');
    await new Promise((resolve) => setImmediate(resolve));
    gc?.({ type: 'minor' });
    gc?.({ type: 'minor' });
    promoted.push(oldSpace() - before);
  }
  process.stdout.write(JSON.stringify({ promoted }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
