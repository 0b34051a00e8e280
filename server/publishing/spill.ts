import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

/**
 * A quarter's visits grouped by branch without holding them in memory: visits are appended to one of
 * N temporary files by a hash of their branch code, then read back one file at a time. A large bank's
 * quarter has 100,000 visits with their answers and comments: grouped in memory (or sorted by branch
 * in one query) they would all be held at once; this way one unsorted pass writes the spill and
 * memory is bounded by one file's visits.
 */
export interface SpilledVisit {
  _id: unknown;
  branchCode: string;
  visitedAt: Date;
}

export class VisitSpill<V extends SpilledVisit> {
  private readonly outs: fs.WriteStream[];
  private closed = false;

  private constructor(
    private readonly dir: string,
    readonly buckets: number,
  ) {
    this.outs = Array.from({ length: buckets }, (_, i) => fs.createWriteStream(this.file(i)));
  }

  /** About `perBucket` branches per file (at most 256 files). */
  static async create<V extends SpilledVisit>(branches: number, perBucket = 200): Promise<VisitSpill<V>> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'report-visits-'));
    return new VisitSpill<V>(dir, Math.max(1, Math.min(256, Math.ceil(branches / perBucket))));
  }

  private file(i: number): string {
    return path.join(this.dir, `${i}.ndjson`);
  }

  bucketOf(code: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193);
    return (h >>> 0) % this.buckets;
  }

  async write(v: V): Promise<void> {
    const out = this.outs[this.bucketOf(v.branchCode)];
    if (!out.write(`${JSON.stringify(v)}\n`)) await once(out, 'drain');
  }

  async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.outs.map(
        (o) => new Promise<void>((resolve, reject) => o.end((e?: Error | null) => (e ? reject(e) : resolve()))),
      ),
    );
  }

  /** One file's visits by branch (visit times as Dates again); the file is removed once read. */
  async read(i: number): Promise<Map<string, V[]>> {
    await this.finish();
    const byBranch = new Map<string, V[]>();
    const lines = readline.createInterface({ input: fs.createReadStream(this.file(i)), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      const raw = JSON.parse(line) as V & { visitedAt: string };
      const v = { ...raw, visitedAt: new Date(raw.visitedAt) } as V;
      const list = byBranch.get(v.branchCode);
      if (list) list.push(v);
      else byBranch.set(v.branchCode, [v]);
    }
    await fsp.rm(this.file(i), { force: true });
    return byBranch;
  }

  async dispose(): Promise<void> {
    for (const o of this.outs) o.destroy();
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
