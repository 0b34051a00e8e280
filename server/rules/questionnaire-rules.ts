import { valueError } from './answers';
import { SECTION_KEYS, type ItemType, type ScoringItem, type SectionKey } from './scoring';

/**
 * What makes a questionnaire's items consistent (SPEC §10), checked before a version is stored:
 * fields only where their type uses them, option keys unique, option and band scores in range,
 * bands ascending, and conditions that refer to an earlier, answerable item with values it can
 * take, so that skip logic never points forwards or in a circle. Pure; each problem names its path
 * in the sections as they were sent.
 */
export interface Problem {
  path: (string | number)[];
  message: string;
}

type Item = ScoringItem & { unit?: unknown };
type Section = { key: SectionKey; items: readonly Item[] };

const USES: Record<string, readonly ItemType[]> = {
  options: ['choice', 'multi'],
  bands: ['number'],
  min: ['number'],
  max: ['number'],
  unit: ['number'],
};
/** What a condition can refer to: items with a fixed set of answers. */
const CONDITIONABLE: readonly ItemType[] = ['yes_no', 'scale', 'choice', 'multi'];
export const MIN_OPTIONS = 2;

const present = (v: unknown) => v !== undefined && v !== null;

function fieldProblems(item: Item, at: (string | number)[]): Problem[] {
  const out: Problem[] = [];
  for (const [field, types] of Object.entries(USES))
    if (present((item as unknown as Record<string, unknown>)[field]) && !types.includes(item.type))
      out.push({ path: [...at, field], message: `only ${types.join(' and ')} items take ${field}` });
  if ((item.type === 'choice' || item.type === 'multi') && (item.options?.length ?? 0) < MIN_OPTIONS)
    out.push({ path: [...at, 'options'], message: `a ${item.type} item needs at least ${MIN_OPTIONS} options` });
  const scored = item.type !== 'text' && !(item.type === 'number' && !item.bands?.length);
  if (!scored && item.critical)
    out.push({
      path: [...at, 'critical'],
      message: `an item that is never scored (${unscoredWhy(item)}) cannot be critical`,
    });
  if (!scored && item.evidenceOnFail)
    out.push({
      path: [...at, 'evidenceOnFail'],
      message: `an item that is never scored (${unscoredWhy(item)}) never fails`,
    });
  return out;
}

const unscoredWhy = (item: Item) => (item.type === 'text' ? 'text' : 'a number without bands');

function optionProblems(item: Item, at: (string | number)[]): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, number>();
  (item.options ?? []).forEach((o, oi) => {
    const path = [...at, 'options', oi];
    const first = seen.get(o.key);
    if (first !== undefined)
      out.push({ path: [...path, 'key'], message: `option key "${o.key}" is repeated (options.${first})` });
    else seen.set(o.key, oi);
    if (o.key === 'na') out.push({ path: [...path, 'key'], message: '"na" is reserved for not applicable' });
    if (item.type === 'multi' && (o.score === null || o.score < -1 || o.score > 1))
      out.push({ path: [...path, 'score'], message: 'a multiple-choice option scores from -1 to 1' });
    if (item.type === 'choice' && o.score !== null && (o.score < 0 || o.score > 1))
      out.push({ path: [...path, 'score'], message: 'a choice option scores from 0 to 1, or null for not applicable' });
  });
  return out;
}

function numberProblems(item: Item, at: (string | number)[]): Problem[] {
  const out: Problem[] = [];
  if (present(item.min) && present(item.max) && (item.min as number) > (item.max as number))
    out.push({ path: [...at, 'max'], message: `max must be at least min (${item.min})` });
  (item.bands ?? []).forEach((b, bi) => {
    const path = [...at, 'bands', bi];
    const before = item.bands?.[bi - 1];
    if (before && b.max <= before.max)
      out.push({ path: [...path, 'max'], message: `bands must ascend: max ${b.max} is not above ${before.max}` });
    if (b.score < 0 || b.score > 1) out.push({ path: [...path, 'score'], message: 'a band scores from 0 to 1' });
  });
  return out;
}

interface Placed {
  item: Item;
  order: number;
  at: (string | number)[];
}

/** A → B → … back to A, when following conditions forwards leads round. */
function cycleThrough(start: Placed, byKey: Map<string, Placed>): string[] | undefined {
  const path = [start.item.key];
  let next = start.item.showIf ? byKey.get(start.item.showIf.item) : undefined;
  while (next && path.length <= byKey.size) {
    path.push(next.item.key);
    if (next.item.key === start.item.key) return path;
    next = next.item.showIf ? byKey.get(next.item.showIf.item) : undefined;
  }
  return undefined;
}

function conditionProblems(p: Placed, byKey: Map<string, Placed>): Problem[] {
  const c = p.item.showIf;
  if (!c) return [];
  const at = [...p.at, 'showIf'];
  const ref = byKey.get(c.item);
  if (!ref) return [{ path: [...at, 'item'], message: `no item "${c.item}" in this questionnaire` }];
  if (ref === p) return [{ path: [...at, 'item'], message: 'an item cannot depend on itself' }];
  if (ref.order > p.order) {
    const cycle = cycleThrough(p, byKey);
    return [
      {
        path: [...at, 'item'],
        message: cycle
          ? `conditions go round in a circle: ${cycle.join(' → ')}`
          : `a condition must refer to an earlier item; "${c.item}" comes after "${p.item.key}"`,
      },
    ];
  }
  if (!CONDITIONABLE.includes(ref.item.type))
    return [{ path: [...at, 'item'], message: `a condition cannot refer to a ${ref.item.type} item ("${c.item}")` }];
  if (c.in.length === 0) return [{ path: [...at, 'in'], message: 'list at least one answer that shows the item' }];
  const out: Problem[] = [];
  c.in.forEach((v, vi) => {
    const fits =
      v === 'na' ? ref.item.allowNA : valueError(ref.item, ref.item.type === 'multi' ? [v] : v) === undefined;
    if (!fits) out.push({ path: [...at, 'in', vi], message: `"${String(v)}" is not an answer "${c.item}" can have` });
  });
  return out;
}

/** Every problem of the questionnaire's items; empty when it may be stored. */
export function questionnaireProblems(sections: readonly Section[]): Problem[] {
  const placed: Placed[] = sections
    .flatMap((s, si) =>
      s.items.map((item, ii) => ({ item, rank: SECTION_KEYS.indexOf(s.key), ii, at: [si, 'items', ii] })),
    )
    .sort((a, b) => a.rank - b.rank || a.ii - b.ii)
    .map((x, order) => ({ item: x.item, order, at: x.at }));
  const byKey = new Map<string, Placed>();
  for (const p of placed) if (!byKey.has(p.item.key)) byKey.set(p.item.key, p);
  return placed.flatMap((p) => [
    ...fieldProblems(p.item, p.at),
    ...optionProblems(p.item, p.at),
    ...numberProblems(p.item, p.at),
    ...conditionProblems(p, byKey),
  ]);
}
