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

/**
 * Lines wait in memory until a file has this many characters to append: one write per ~32 KB rather
 * than one per visit (a large close wrote 100,000 visits in 100,000 writes, each a trip through
 * libuv's thread pool). 256 files hold at most ~8 M characters meanwhile.
 */
const PENDING_CHARS = 32 * 1024;

export class VisitSpill<V extends SpilledVisit> {
  private readonly outs: fs.WriteStream[];
  private readonly pending: { lines: string[]; chars: number }[];
  private finishing: Promise<void> | undefined;
  /** Appends made to the files so far (for logs and tests: far fewer than the visits written). */
  fileWrites = 0;

  private constructor(
    private readonly dir: string,
    readonly buckets: number,
  ) {
    this.outs = Array.from({ length: buckets }, (_, i) => fs.createWriteStream(this.file(i)));
    this.pending = Array.from({ length: buckets }, () => ({ lines: [], chars: 0 }));
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
    const i = this.bucketOf(v.branchCode);
    const line = `${JSON.stringify(v)}\n`;
    const p = this.pending[i];
    p.lines.push(line);
    p.chars += line.length;
    if (p.chars >= PENDING_CHARS) await this.flush(i);
  }

  private async flush(i: number): Promise<void> {
    const p = this.pending[i];
    if (p.lines.length === 0) return;
    const text = p.lines.join('');
    p.lines = [];
    p.chars = 0;
    this.fileWrites++;
    if (!this.outs[i].write(text)) await once(this.outs[i], 'drain');
  }

  /** Writes what waits and closes the files (once, however many callers ask). */
  finish(): Promise<void> {
    this.finishing ??= this.flushAndClose();
    return this.finishing;
  }

  private async flushAndClose(): Promise<void> {
    for (let i = 0; i < this.buckets; i++) await this.flush(i);
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
