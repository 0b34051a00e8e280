import fs from 'node:fs';
import { VisitSpill } from '../server/publishing/spill';

/**
 * The close's spill (server/publishing/spill.ts): a quarter's visits written in one unsorted pass,
 * read back a file of branches at a time. Lines wait in memory and reach the files in large appends.
 */
interface V {
  _id: string;
  branchCode: string;
  visitedAt: Date;
  comment: string;
}

const visit = (i: number, branches: number): V => ({
  _id: `v${i}`,
  branchCode: `BR${String(i % branches).padStart(4, '0')}`,
  visitedAt: new Date(Date.UTC(2026, 3, 1) + i * 60_000),
  comment: `等候约五分钟 ${i} "quoted" \\ line`,
});

async function readAll(spill: VisitSpill<V>): Promise<Map<string, V[]>> {
  const all = new Map<string, V[]>();
  for (let i = 0; i < spill.buckets; i++) for (const [code, list] of await spill.read(i)) all.set(code, list);
  return all;
}

test('gives back every visit grouped by branch, in the order written, with its time as a Date', async () => {
  const spill = await VisitSpill.create<V>(1000, 100);
  const written = Array.from({ length: 3000 }, (_, i) => visit(i, 1000));
  try {
    for (const v of written) await spill.write(v);
    await Promise.all([spill.finish(), spill.finish()]); // asked twice at once: closed once, nothing lost
    const byBranch = await readAll(spill);
    expect(byBranch.size).toBe(1000);
    for (const [code, list] of byBranch) {
      expect(list).toEqual(written.filter((v) => v.branchCode === code));
      expect(list[0].visitedAt).toBeInstanceOf(Date);
    }
  } finally {
    await spill.dispose();
  }
});

test('appends to its files in large pieces, not once per visit', async () => {
  const spill = await VisitSpill.create<V>(200, 100); // 2 files
  try {
    for (let i = 0; i < 2000; i++) await spill.write(visit(i, 200));
    await spill.finish();
    // ~50 characters a line, 32 K characters an append: a few appends per file.
    expect(spill.fileWrites).toBeGreaterThanOrEqual(2);
    expect(spill.fileWrites).toBeLessThan(20);
    expect((await readAll(spill)).size).toBe(200);
  } finally {
    await spill.dispose();
  }
});

test('dispose removes its files, read or not', async () => {
  const spill = await VisitSpill.create<V>(10);
  await spill.write(visit(1, 10));
  await spill.finish();
  const dir = (spill as unknown as { dir: string }).dir;
  expect(fs.existsSync(dir)).toBe(true);
  await spill.dispose();
  expect(fs.existsSync(dir)).toBe(false);
});
