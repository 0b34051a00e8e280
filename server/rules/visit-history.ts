/**
 * A visit's state after each entry of its history, worked out from the history and the visit's
 * current state alone (pure: no I/O). Status changes are recorded forwards (`status` before/after);
 * what a dispute decision corrects (violations, scores) is recorded with its value before, so walking
 * back from the current values gives the value after every earlier entry. Edits of a draft do not
 * record scores or violations, so those are exact from the approval on — the only entries whose
 * figures anyone is told about (alerts, webhooks).
 */
export interface EntryLike {
  action: string;
  at: Date;
  changes: readonly { field: string; before: unknown; after: unknown }[];
}

export interface CurrentLike {
  status: string;
  violations: readonly string[];
  scores: { sections: Readonly<Record<string, number | null>>; total: number | null };
}

export interface StateAfter {
  status: string;
  violations: string[];
  sections: Record<string, number | null>;
  total: number | null;
}

const COUNTED = new Set(['approved', 'disputed']);
export const isCountedStatus = (status: string): boolean => COUNTED.has(status);

function changeOf(entry: EntryLike, field: string) {
  return entry.changes.find((c) => c.field === field);
}

const asKeys = (v: unknown): string[] =>
  Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String((x as { itemKey?: unknown }).itemKey))) : [];
const asScore = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export function statesAfterEntries(history: readonly EntryLike[], current: CurrentLike): StateAfter[] {
  const out: StateAfter[] = new Array<StateAfter>(history.length);
  // Backwards: the corrected figures.
  let violations = [...current.violations];
  let sections: Record<string, number | null> = { ...current.scores.sections };
  let total = current.scores.total;
  for (let i = history.length - 1; i >= 0; i--) {
    out[i] = { status: '', violations, sections, total };
    const e = history[i];
    const v = changeOf(e, 'violations');
    if (v) violations = asKeys(v.before);
    const t = changeOf(e, 'scores.total');
    if (t) total = asScore(t.before);
    const moved = e.changes.filter((c) => c.field.startsWith('scores.sections.'));
    if (moved.length) {
      sections = { ...sections };
      for (const c of moved) sections[c.field.slice('scores.sections.'.length)] = asScore(c.before);
    }
  }
  // Forwards: the status.
  let status = 'draft';
  for (let i = 0; i < history.length; i++) {
    const s = changeOf(history[i], 'status');
    if (s && typeof s.after === 'string') status = s.after;
    out[i].status = status;
  }
  return out;
}
