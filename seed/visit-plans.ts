import { DateTime } from 'luxon';
import type { Principal } from '../server/platform/access';
import {
  applicableKeys,
  itemScore,
  type AnswerValue,
  type ScoringItem,
  type ScoringSection,
} from '../server/rules/scoring';
import type { QuestionnaireBody } from './questionnaire';
import { pick, rng } from './rng';
import { CRITICAL_FAILURES, DIFFICULTY, NA_CHANCE } from './visit-odds';
import {
  FAILURE_COMMENTS,
  NA_COMMENTS,
  NOTES,
  PHOTO_NAMES,
  PRAISE_COMMENTS,
  SCENARIOS,
  SUMMARIES,
  UNNAMED_STAFF,
  type Lang,
} from './visit-texts';

/**
 * Demo visits over the current quarter and the three before it, played through the real services
 * (assignments, visits, evidence) with the business clock set to when each step would have happened,
 * so that history, scores and plausibility flags are exactly what real use would have produced.
 * Past quarters are approved; the current quarter holds every state of the review cycle.
 */
export type SeedStatus = 'draft' | 'submitted' | 'returned' | 'approved';

export interface BankRound {
  bankId: string;
  lang: Lang;
  timezone: string;
  questionnaireId: string;
  sections: QuestionnaireBody['sections'];
  branches: { code: string; region: string }[];
  /** Who makes the `visit`-th visit (counting down to 1) of a branch in a quarter. */
  auditorFor: (branch: { code: string; region: string }, visit: number) => Principal;
  /** How much an auditor's scoring leans (added to the visit's quality): the demo's harsh and lenient auditors. */
  leanOf?: (auditorId: string) => number;
  /** Share of branches visited in a quarter, and visits per visited branch. */
  coverage: number;
  visitsPerBranch: [number, number];
  seed: number;
}

export interface Plan {
  round: BankRound;
  branch: { code: string; region: string };
  quarter: string;
  windowStart: Date;
  windowEnd: Date;
  scenario: string;
  auditor: Principal;
  /** Null: the assignment is still open (planned after today). */
  visitedAt: Date | null;
  durationMinutes: number;
  current: boolean;
  state: SeedStatus;
  quality: number;
  /** The auditor's lean (BankRound.leanOf): a lenient one also overlooks what is hard to get right. */
  lean: number;
  returnedFirst: boolean;
  late: boolean;
  outsideWindow: boolean;
  partial: boolean;
  photos: { seed: number; name: string }[];
  r: () => number;
}

export interface VisitSeedResult {
  assignments: number;
  attachments: number;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const QUARTERS_BACK = 3;
/** What the staff recommended, most often a wealth product (the round's scenario). */
const PRODUCTS = ['wealth', 'wealth', 'wealth', 'wealth', 'fund', 'fund', 'insurance', 'deposit', 'none'];

export const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
export const between = (r: () => number, a: number, b: number) => a + (b - a) * r();

export function quarterBounds(
  zone: string,
  offset: number,
  today: Date,
): { label: string; start: DateTime; end: DateTime } {
  const start = DateTime.fromJSDate(today, { zone }).startOf('quarter').plus({ quarters: offset });
  return { label: `${start.year}-Q${start.quarter}`, start, end: start.plus({ quarters: 1 }) };
}

/** A time during opening hours (09:00–16:30 local) on the day of `day`. */
export function duringOpeningHours(day: Date, zone: string, r: () => number): Date {
  const d = DateTime.fromJSDate(day, { zone }).startOf('day');
  return d.plus({ minutes: 9 * 60 + Math.floor(r() * 450) }).toJSDate();
}

/** Branch quality: most branches good, a weak sixth that improves a little each quarter. */
export function branchQuality(round: BankRound): Map<string, { base: number; weak: boolean }> {
  const r = rng(round.seed + 1);
  return new Map(
    round.branches.map((b) => {
      const weak = r() < 0.16;
      return [b.code, { base: weak ? between(r, 0.5, 0.66) : between(r, 0.78, 0.95), weak }];
    }),
  );
}

export function planBank(round: BankRound, today: Date): Plan[] {
  const r = rng(round.seed);
  const quality = branchQuality(round);
  const plans: Plan[] = [];
  for (let offset = -QUARTERS_BACK; offset <= 0; offset++) {
    const q = quarterBounds(round.timezone, offset, today);
    const windowStart = q.start.plus({ days: 1 }).toJSDate();
    const windowEnd = q.end.minus({ days: 1 }).toJSDate();
    const quarterPlans: Plan[] = [];
    for (const branch of round.branches) {
      if (r() > round.coverage) continue;
      const bq = quality.get(branch.code) as { base: number; weak: boolean };
      const drift = bq.weak ? 0.03 * (offset + QUARTERS_BACK) : between(r, -0.03, 0.03);
      const [lo, hi] = round.visitsPerBranch;
      for (let n = lo + Math.floor(r() * (hi - lo + 1)); n > 0; n--) {
        const visitR = rng(Math.floor(r() * 2 ** 31));
        const auditor = round.auditorFor(branch, n);
        const lean = round.leanOf?.(auditor.id) ?? 0;
        quarterPlans.push({
          round,
          branch,
          quarter: q.label,
          windowStart,
          windowEnd,
          scenario: pick(r, SCENARIOS[round.lang]),
          auditor,
          visitedAt: duringOpeningHours(
            new Date(
              windowStart.getTime() + between(r, 1, (windowEnd.getTime() - windowStart.getTime()) / DAY - 3) * DAY,
            ),
            round.timezone,
            r,
          ),
          durationMinutes: 15 + Math.floor(r() * 50),
          current: offset === 0,
          state: 'approved',
          quality: clamp(bq.base + drift + between(r, -0.08, 0.08) + lean, 0.3, 0.99),
          lean,
          returnedFirst: r() < 0.08,
          late: false,
          outsideWindow: false,
          partial: false,
          photos: [],
          r: visitR,
        });
      }
    }
    if (offset === 0) scheduleCurrentQuarter(quarterPlans, windowStart, today, round.timezone, r);
    plans.push(...quarterPlans);
  }
  return plans;
}

/**
 * The current quarter is under way: about two thirds of its visits have happened (spread from the
 * window's start to a few hours ago), the rest are open assignments. The most recent visits are
 * still drafts, then waiting for review, a few returned, the older ones approved.
 */
export function scheduleCurrentQuarter(
  plans: Plan[],
  windowStart: Date,
  today: Date,
  zone: string,
  r: () => number,
): void {
  const order = plans
    .map((p) => ({ p, k: r() }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.p);
  const visited = order.slice(0, Math.ceil(order.length * 0.68));
  for (const p of order.slice(visited.length)) p.visitedAt = null;
  const from = windowStart.getTime() + 2 * HOUR;
  const to = Math.max(from + HOUR, today.getTime() - 8 * HOUR);
  const times = visited
    .map(() => {
      const t = duringOpeningHours(new Date(from + r() * (to - from)), zone, r).getTime();
      return t > to ? t - DAY : t;
    })
    .sort((a, b) => a - b);
  visited.forEach((p, i) => {
    p.visitedAt = new Date(times[i]);
  });
  const n = visited.length;
  const drafts = Math.max(1, Math.round(n * 0.12));
  const submitted = Math.max(1, Math.round(n * 0.18));
  const returned = Math.max(1, Math.round(n * 0.08));
  visited.forEach((p, i) => {
    const fromEnd = n - 1 - i;
    p.state =
      fromEnd < drafts
        ? 'draft'
        : fromEnd < drafts + submitted
          ? 'submitted'
          : fromEnd < drafts + submitted + returned
            ? 'returned'
            : 'approved';
    if (p.state !== 'approved') p.returnedFirst = false;
    p.partial = p.state === 'draft' && r() < 0.5;
  });
}

export type AnswerIn = { itemKey: string; value: AnswerValue; comment?: string };

export function commentFrom(
  pool: Record<string, Record<Lang, string[]>>,
  key: string,
  lang: Lang,
  r: () => number,
  chance: number,
): string | undefined {
  const texts = pool[key]?.[lang];
  return texts && r() < chance ? pick(r, texts) : undefined;
}

type SeedItem = QuestionnaireBody['sections'][number]['items'][number];

/** What a shopper at a branch of quality `q` records for a number, choice or multiple-choice item. */
function typedValue(item: SeedItem, p: Plan, critical: string | null): AnswerValue {
  const { r, quality: q } = p;
  if (item.key === 'g_wait_time') return Math.max(1, Math.round(3 + (1 - q) * 40 * r() + between(r, -2, 4)));
  if (item.key === 'f_callback_hours') return Math.round(between(r, 2, 30) + (1 - q) * 90 * r());
  if (item.key === 'p_product') return pick(r, PRODUCTS);
  if (item.key === 'c_risk_match')
    return critical === 'c_risk_match' ? 'above' : r() < (q < 0.7 ? 0.25 : 0.06) ? 'above_signed' : 'match';
  if (item.type === 'multi') {
    // The better the branch, the more risk points explained; a guarantee hint goes with that failure.
    const chosen = (item.options ?? [])
      .filter((o) => o.key !== 'guaranteed' && r() < clamp(q + 0.1, 0.2, 0.97))
      .map((o) => o.key);
    return critical === 'c_no_guarantee' ? [...chosen, 'guaranteed'] : chosen;
  }
  if (item.type === 'text') return pick(r, NOTES[p.round.lang]);
  return clamp(Math.round(1 + 4 * clamp(q + between(r, -0.18, 0.18), 0, 1)), 1, 5);
}

function valueFor(item: SeedItem, p: Plan, critical: string | null): AnswerValue | undefined {
  const { r, quality: q } = p;
  if (item.allowNA && r() < (NA_CHANCE[item.key] ?? 0)) return 'na';
  if (item.type === 'text') return r() < 0.25 ? typedValue(item, p, critical) : undefined;
  if (item.type !== 'yes_no') return typedValue(item, p, critical);
  if (item.critical) return critical === item.key ? 'no' : 'yes';
  // A lenient auditor also overlooks what is hard to get right (BankRound.leanOf).
  return r() < clamp(q - (p.lean > 0 ? 0 : (DIFFICULTY[item.key] ?? 0)), 0.05, 0.99) ? 'yes' : 'no';
}

/**
 * Answers as a shopper at a branch of this quality would give them, with comments where it matters.
 * Items whose condition the earlier answers leave unmet are not asked (SPEC §10), so they get none.
 */
export function answersFor(p: Plan): AnswerIn[] {
  const { r, round } = p;
  const weak = p.quality < 0.7;
  const critical = r() < (weak ? 0.12 : 0.015) ? pick(r, CRITICAL_FAILURES) : null;
  const out: AnswerIn[] = [];
  const sections = scoringSections(round);
  for (const item of round.sections.flatMap((s) => s.items)) {
    if (!applicableKeys(sections, out).has(item.key)) continue;
    const value = valueFor(item, p, critical);
    if (value === undefined) continue;
    const failed =
      itemScore(scoringOf(item), value) === 0 || (typeof value === 'number' && item.type === 'scale' && value <= 2);
    const comment =
      value === 'na'
        ? commentFrom(NA_COMMENTS, item.key, round.lang, r, 0.7)
        : failed
          ? commentFrom(FAILURE_COMMENTS, item.key, round.lang, r, 0.85)
          : commentFrom(PRAISE_COMMENTS, item.key, round.lang, r, 0.1);
    out.push({ itemKey: item.key, value, ...(comment ? { comment } : {}) });
  }
  return out;
}

/** The round's questionnaire as the scoring rules read it. */
export const scoringSections = (round: BankRound): ScoringSection[] =>
  round.sections.map((s) => ({ key: s.key, weight: s.weight ?? 25, items: s.items.map(scoringOf) }));

/** The seed's item as the scoring rules read it (defaults as the schema applies them). */
function scoringOf(item: SeedItem): ScoringItem {
  return {
    weight: 1,
    critical: false,
    allowNA: false,
    required: true,
    ...item,
    options: item.options?.map((o) => ({ key: o.key, score: o.score })),
  } as ScoringItem;
}

export type StaffRow = { employeeId: string; position?: string | null };
export const ADVISER = /理财|客户经理|Relationship|Adviser/;

/** The adviser who sold, often the lobby manager or teller too; now and then someone without a badge. */
export function staffFor(p: Plan, staff: StaffRow[]): { employeeId?: string; description?: string }[] {
  const { r } = p;
  const advisers = staff.filter((s) => ADVISER.test(s.position ?? ''));
  const others = staff.filter((s) => !ADVISER.test(s.position ?? ''));
  const out: { employeeId?: string; description?: string }[] = [];
  const first = advisers.length ? pick(r, advisers) : staff.length ? pick(r, staff) : undefined;
  if (first) out.push({ employeeId: first.employeeId });
  if (r() < 0.12) out.push({ description: pick(r, UNNAMED_STAFF[p.round.lang]) });
  else if (others.length && r() < 0.6) out.push({ employeeId: pick(r, others).employeeId });
  return out.length ? out : [{ description: pick(r, UNNAMED_STAFF[p.round.lang]) }];
}

export function summaryFor(p: Plan): string {
  const band = p.quality >= 0.8 ? 'good' : p.quality >= 0.65 ? 'fair' : 'poor';
  return pick(p.r, SUMMARIES[band][p.round.lang]);
}

/** Event times of one visit, in order, never after "today". */
export class Timeline {
  private last: number;
  constructor(
    start: Date,
    private readonly limit: number,
  ) {
    this.last = start.getTime();
  }

  at(ideal: number): Date {
    this.last = Math.max(this.last + MINUTE, Math.min(ideal, this.limit));
    return new Date(this.last);
  }

  /** `ms` after the previous event. */
  after(ms: number): Date {
    return this.at(this.last + ms);
  }
}

export const isoIn = (d: Date, zone: string) =>
  DateTime.fromJSDate(d, { zone }).toISO({ suppressMilliseconds: true }) as string;

/**
 * The exceptions a reviewer should see: a few visits carry photos; two submitted visits of one auditor
 * share the same photo (a reused picture, which the duplicate-evidence check must catch); one visit
 * waiting for review was submitted days late; one past visit was made outside its window.
 */
export function decorate(plans: Plan[]): { plans: Plan[]; shared: Plan[] } {
  const r = rng(4242);
  const visited = plans.filter((p) => p.visitedAt && !p.partial);
  visited
    .filter((_, i) => i % 37 === 5)
    .forEach((p, i) => p.photos.push({ seed: 1000 + i, name: pick(r, PHOTO_NAMES[p.round.lang]) }));
  const past = visited.find((p) => !p.current && !p.returnedFirst);
  if (past) past.outsideWindow = true;
  const late = visited.find((p) => p.state === 'submitted');
  if (late) late.late = true;
  // The copy is attached at least a day after the original visit, so the story (and the history of the
  // first visit, which gets flagged when the copy arrives) runs forward in time.
  const queue = visited
    .filter((p) => p.state === 'submitted' && !p.late && p.photos.length === 0)
    .sort((x, y) => (x.visitedAt as Date).getTime() - (y.visitedAt as Date).getTime());
  const first = queue[0];
  const copy = queue.find(
    (p) =>
      first &&
      p.auditor.id === first.auditor.id &&
      p.round === first.round &&
      (p.visitedAt as Date).getTime() - (first.visitedAt as Date).getTime() > DAY,
  );
  const pair = first && copy ? [first, copy] : [];
  for (const p of pair) p.photos.push({ seed: 777, name: PHOTO_NAMES[p.round.lang][0] });
  return { plans, shared: pair };
}
