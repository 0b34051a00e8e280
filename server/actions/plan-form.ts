import { allBranches, bankTimezone, findBranch } from '../banks/service';
import { ValidationError } from '../platform/errors';
import { inLang } from '../rules/answer-words';
import { clockDay } from '../rules/clock-text';
import { addDays, DEFAULT_PLAN_DAYS, dueDateBounds, dueDateProblem } from '../rules/plan-due';
import { DEFAULT_TIMEZONE } from '../rules/quarters';
import { formatScore } from '../rules/scoring';
import type { ResultsReport } from '../results/service';
import type { FormState } from '../web/forms';
import type { PageContext } from '../web/render';
import { bankItems } from './views';

/**
 * The action-plan form in words (issue 20): started from a key problem or a violation it arrives
 * filled in — the item by its text, the violation's visit and branch by name — so nobody types an
 * item key, a branch code or a visit id; areas are chosen from the manager's own regions and
 * branches; the due date is today or later in the bank's zone and within the planning horizon.
 */
export async function bankToday(bankId: string): Promise<string> {
  return clockDay(new Date(), (await bankTimezone(bankId)) ?? DEFAULT_TIMEZONE);
}

/** The same check the form shows, on what was posted: a plan is due between today and the horizon. */
export function checkDueDate(ctx: PageContext, due: string, today: string): void {
  const problem = dueDateProblem(due, today);
  if (problem === 'past' || problem === 'too_far') {
    const { max } = dueDateBounds(today);
    throw new ValidationError([{ field: 'dueDate', message: ctx.t(`actions.due.${problem}`, { today, max }) }]);
  }
}

type Results = Pick<ResultsReport, 'keyProblems' | 'violations'>;

async function branchName(bankId: string, code: string): Promise<string> {
  const b = await findBranch(bankId, code);
  return b ? `${b.name} (${code})` : code;
}

/** What the plan is for, in words, when the form was started from a key problem or a violation. */
async function startedFrom(ctx: PageContext, bankId: string, r: Results | null, values: Record<string, unknown>) {
  const itemKey = String(values.itemKey ?? '');
  if (!itemKey) return null;
  if (values.kind === 'violation') {
    const v = r?.violations.find((x) => x.visitId === values.visitId && x.itemKey === itemKey);
    if (!v) return null;
    const branch = await branchName(bankId, v.branchCode);
    return { label: ctx.t('actions.from.violation', { item: inLang(v.failure ?? v.text, ctx.locale), branch }) };
  }
  const k = r?.keyProblems.find((x) => x.itemKey === itemKey);
  const text = k ? inLang(k.text, ctx.locale) : inLang((await bankItems(bankId)).get(itemKey)?.text, ctx.locale);
  if (!text) return null;
  const rate = k ? `${formatScore(k.failureRate * 100)}% (${k.failed} / ${k.applicable})` : '';
  return { label: ctx.t(k ? 'actions.from.key_problem' : 'actions.from.item', { item: text, rate }) };
}

export async function planForm(ctx: PageContext, bankId: string, r: Results | null, form: FormState) {
  const [items, branches, today] = await Promise.all([
    bankItems(bankId),
    allBranches(ctx.user, bankId),
    bankToday(bankId),
  ]);
  const values = form.values;
  const from = await startedFrom(ctx, bankId, r, values);
  const { min, max } = dueDateBounds(today);
  return {
    from,
    items: [...items].map(([key, i]) => ({
      key,
      label: inLang(i.text, ctx.locale),
      selected: values.itemKey === key,
    })),
    regions: [...new Set(branches.map((b) => b.region))]
      .sort()
      .map((region) => ({ region, selected: values.region === region })),
    branches: branches.map((b) => ({
      code: b.code,
      label: `${b.name} (${b.code}) · ${b.region}`,
      selected: values.branchCode === b.code,
    })),
    due: { min, max, value: typeof values.dueDate === 'string' ? values.dueDate : addDays(today, DEFAULT_PLAN_DAYS) },
  };
}

/** Violations and key problems as links that start a filled-in form. */
export async function planLinks(ctx: PageContext, bankId: string, quarter: string, r: Results | null) {
  const base = (q: Record<string, string>) => `/actions?${new URLSearchParams({ quarter, ...q }).toString()}#new-plan`;
  const names = new Map<string, string>();
  for (const code of new Set((r?.violations ?? []).map((v) => v.branchCode)))
    names.set(code, await branchName(bankId, code));
  return {
    keyProblems: (r?.keyProblems ?? []).slice(0, 10).map((k) => ({
      label: inLang(k.text, ctx.locale),
      rate: `${formatScore(k.failureRate * 100)}%`,
      failed: k.failed,
      applicable: k.applicable,
      href: base({ kind: 'key_problem', itemKey: k.itemKey }),
    })),
    violations: (r?.violations ?? []).map((v) => ({
      label: inLang(v.failure ?? v.text, ctx.locale),
      branch: names.get(v.branchCode) ?? v.branchCode,
      href: base({ kind: 'violation', itemKey: v.itemKey, visitId: v.visitId }),
    })),
  };
}
