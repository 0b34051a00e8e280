import type { Contribution } from './contribution';
import { addVisit, emptyBranchSummary, summarizeBranch, type BranchSummary } from './summaries';

/**
 * A branch record's value (SPEC §15): per visit id, the visit's contribution, or a tombstone with
 * its revision once it stopped counting. And the two things written of it: its JSON and its summary.
 * Pure.
 */
export type Entry = Contribution | { rev: number; removed: true };
export type BranchEntries = Record<string, Entry>;

/** The contributions of a branch record, tombstones left out. */
export function countedEntries(entries: BranchEntries): Record<string, Contribution> {
  return Object.fromEntries(Object.entries(entries).filter((e): e is [string, Contribution] => !('removed' in e[1])));
}

/** A branch record to be written: the JSON of its entries and its summary (summarizeBranch's). */
export interface BranchSource {
  region: string;
  json(): string;
  summary(seq: number): BranchSummary;
}

/** The source of a branch record whose entries are at hand. */
export function entriesSource(region: string, entries: BranchEntries): BranchSource {
  return {
    region,
    json: () => JSON.stringify(entries),
    summary: (seq) => summarizeBranch(countedEntries(entries), seq),
  };
}

/**
 * A branch record built as its visits stream in (a rebuild reads a quarter's 100,000 visits, then
 * writes 25,000 branches). Each entry is turned into its JSON as it comes and its contribution summed
 * up at once, while the read waits on the database anyway, so what is left for the write is joining
 * the texts: writing the large bank's quarter took 3.0–3.7 s instead of 4.0–4.6 (BENCHMARKS.md).
 *
 * Both results equal those of entriesSource over the entries the same visits would make, one after
 * the other, into an object (a visit read twice keeps its first place and its last entry). The summed
 * up summary is summarizeBranch's exactly as long as the ids come in ascending order, as they mostly do
 * when visits are read in the order they were stored; and the joined JSON is the object's as long as no
 * id is an array index (JSON.stringify lists those first) and none comes twice. A branch whose ids
 * do not is worked out again from its entries, parsed back from their JSON.
 */
export class BranchBuild implements BranchSource {
  private readonly parts: string[] = [];
  private last = '';
  /** The summary of the visits so far while their ids ascend; null once they do not. */
  private running: BranchSummary | null = emptyBranchSummary(0);
  private parsed: BranchEntries | null = null;

  constructor(readonly region: string) {}

  add(id: string, entry: Entry): void {
    this.parts.push(`${JSON.stringify(id)}:${JSON.stringify(entry)}`);
    // An array index has at most 10 digits; a visit id (an ObjectId) has 24 characters.
    if (!this.running || id <= this.last || id.length <= 10) {
      this.running = null;
      return;
    }
    this.last = id;
    if (!('removed' in entry)) addVisit(this.running, id, entry);
  }

  json(): string {
    return this.running ? this.joined() : JSON.stringify(this.entries());
  }

  /** Asked once per build (the summary is the build's own object). */
  summary(seq: number): BranchSummary {
    if (!this.running) return summarizeBranch(countedEntries(this.entries()), seq);
    this.running.seq = seq;
    return this.running;
  }

  private joined(): string {
    return `{${this.parts.join(',')}}`;
  }

  private entries(): BranchEntries {
    return (this.parsed ??= JSON.parse(this.joined()) as BranchEntries);
  }
}
