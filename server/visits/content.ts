import { branchStaff } from '../banks/service';
import { ValidationError, type ErrorDetail } from '../platform/errors';
import { answerErrors, canonicalAnswer, sameAnswer } from '../rules/answers';
import type { AnswerValue, ScoringSection } from '../rules/scoring';
import type { Change, StoredAnswer, StoredStaff } from './types';

/**
 * What an auditor types into a visit: checked against the visit's questionnaire version and the
 * branch's staff list, and compared with what was there, so the history records each change.
 */
export type AnswerInput = { itemKey: string; value: AnswerValue; comment?: string };
export type StaffInput = { employeeId?: string; description?: string };

/** Answers against the visit's questionnaire version and staff against the branch's staff list; every error at once. */
export async function checkContent(
  sections: ScoringSection[],
  where: { bankId: string; branchCode: string },
  answers: AnswerInput[] | undefined,
  staff: StaffInput[] | undefined,
): Promise<{ answers?: StoredAnswer[]; staff?: StoredStaff[] }> {
  const details: ErrorDetail[] = answers ? answerErrors(sections, answers) : [];
  let resolved: StoredStaff[] | undefined;
  if (staff) {
    const ids = staff.flatMap((s) => (s.employeeId ? [s.employeeId] : []));
    const known = ids.length ? await branchStaff(where.bankId, where.branchCode, ids) : new Map<string, string>();
    staff.forEach((s, i) => {
      if (s.employeeId && !known.has(s.employeeId))
        details.push({
          field: `staff.${i}.employeeId`,
          message: `no staff member "${s.employeeId}" at branch ${where.branchCode}`,
        });
    });
    resolved = staff.map((s) => ({
      ...(s.employeeId ? { employeeId: s.employeeId, name: known.get(s.employeeId) } : {}),
      ...(s.description ? { description: s.description } : {}),
    }));
  }
  if (details.length) throw new ValidationError(details);
  const items = new Map(sections.flatMap((s) => s.items.map((i) => [i.key, i] as const)));
  return {
    answers: answers?.map((a) => ({
      itemKey: a.itemKey,
      value: canonicalAnswer(items.get(a.itemKey), a.value) as AnswerValue,
      ...(a.comment ? { comment: a.comment } : {}),
    })),
    staff: resolved,
  };
}

export interface Editable {
  visitedAt: Date | null;
  durationMinutes: number | null;
  staff: StoredStaff[];
  answers: StoredAnswer[];
  summary: string | null;
}
export const EMPTY: Editable = { visitedAt: null, durationMinutes: null, staff: [], answers: [], summary: null };

/** What changed, field by field; answers per item so the history reads "g1: no → yes". */
export function diff(before: Editable, after: Editable): Change[] {
  const out: Change[] = [];
  const t = (d: Date | null) => (d ? d.toISOString() : null);
  if (t(before.visitedAt) !== t(after.visitedAt))
    out.push({ field: 'visitedAt', before: t(before.visitedAt), after: t(after.visitedAt) });
  if (before.durationMinutes !== after.durationMinutes)
    out.push({ field: 'durationMinutes', before: before.durationMinutes, after: after.durationMinutes });
  const staffJson = (s: StoredStaff[]) =>
    JSON.stringify(s.map((x) => ({ employeeId: x.employeeId ?? null, description: x.description ?? null })));
  if (staffJson(before.staff) !== staffJson(after.staff))
    out.push({ field: 'staff', before: before.staff, after: after.staff });
  const prev = new Map(before.answers.map((a) => [a.itemKey, a]));
  const next = new Map(after.answers.map((a) => [a.itemKey, a]));
  for (const key of new Set([...next.keys(), ...prev.keys()])) {
    const b = prev.get(key);
    const a = next.get(key);
    if (!sameAnswer(b?.value ?? null, a?.value ?? null))
      out.push({ field: `answers.${key}`, before: b?.value ?? null, after: a?.value ?? null });
    if ((b?.comment ?? null) !== (a?.comment ?? null))
      out.push({ field: `answers.${key}.comment`, before: b?.comment ?? null, after: a?.comment ?? null });
  }
  if ((before.summary ?? null) !== (after.summary ?? null))
    out.push({ field: 'summary', before: before.summary, after: after.summary });
  return out;
}
