import * as audit from '../audit/service';
import { Types } from 'mongoose';
import { requireRole, type Principal, type Role } from '../platform/access';
import { claimedAt, release, takeOverStale, tryClaim, type HeldClaim } from '../platform/db/write-claims';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { answerErrors, canonicalAnswer, sameAnswer, splitHidden } from '../rules/answers';
import { scoreVisit, type AnswerValue, type ScoringSection } from '../rules/scoring';
import {
  assertStatus,
  commit,
  historyEntry,
  loadVisit,
  type Change,
  type StoredAnswer,
  type StoredVisit,
} from '../visits/service';
import { closedKeyOf, Dispute, type Decision } from './model';
import { tellOfOverturn } from './overturns';
import type { ResolveDisputeInput } from './schema';
import { versionOf } from './versions';
import { getDispute, isDecided, loadDispute, type DisputeView, type LeanDispute } from './views';
import { DISPUTABLE, statusByDisputes, syncVisitStatus, withRetry } from './visit-sync';

/**
 * Resolving a dispute: the reviewer upholds it (answer unchanged) or overturns it (answer corrected,
 * scores and violations recomputed from the visit's own questionnaire version).
 */
export const RESOLVER: readonly Role[] = ['reviewer'];

/** A resolution claim older than this belongs to a writer that died mid-way. */
const RESOLVE_LEASE_MS = 60_000;

const resolveKey = (disputeId: string) => `dispute-resolve:${disputeId}`;
const alreadyResolved = () => new ConflictError('This dispute is already resolved', 'dispute_resolved');
const busy = () =>
  new ConflictError('This dispute is being resolved by someone else; reload it in a moment', 'dispute_busy');

/** The visit's history entry that applied this dispute's decision, if any. */
function appliedEntry(v: StoredVisit | null, disputeId: string) {
  return v?.history.find(
    (h) =>
      h.action.startsWith('dispute_') &&
      h.action !== 'dispute_opened' &&
      h.changes.some((c) => c.field === `disputes.${disputeId}`),
  );
}

/**
 * The right to resolve: a write claim without expiry, since a decided dispute is never decided
 * again. A claim left by a writer that died is taken over — unless that writer had already changed
 * the visit, in which case only the dispute record is completed.
 */
async function claimResolution(d: LeanDispute): Promise<HeldClaim> {
  const key = resolveKey(String(d._id));
  const claim = await tryClaim(key);
  if (claim) return claim;
  const at = await claimedAt(key);
  if (at && Date.now() - at.getTime() < RESOLVE_LEASE_MS) throw busy();
  if (d.status === 'resolving' && d.resolution && appliedEntry(await loadVisit(String(d.visitId)), String(d._id))) {
    await finish(d._id, d.resolution.decision, {});
    throw alreadyResolved();
  }
  const taken = await takeOverStale(key, RESOLVE_LEASE_MS);
  if (!taken) throw busy();
  return taken;
}

/**
 * The decision, in one write. An overturn carries its "not yet noted" mark in that same write, so
 * the reports of its quarter cannot miss it (overturns.ts); those who act on it are then told.
 */
async function finish(id: Types.ObjectId, decision: Decision, set: Record<string, unknown>): Promise<void> {
  const overturn = decision === 'overturned' ? { overturnedAt: new Date(), overturnNoted: false } : {};
  await Dispute.updateOne(
    { _id: id },
    { $set: { ...set, ...overturn, status: decision, openKey: closedKeyOf(String(id)) } },
  );
  if (decision === 'overturned') await tellOfOverturn(id);
}

/**
 * Resolutions a dead process left half-way (`resolving`, its claim older than the lease): completed
 * when the decision had reached the visit, undone otherwise (the dispute open again, the claim given
 * back, the visit's status in line), so nothing waits for someone to try resolving it again.
 */
export async function recoverInterruptedResolutions(now = new Date()): Promise<number> {
  const stuck = await Dispute.find({ status: 'resolving' }).lean<LeanDispute[]>();
  let recovered = 0;
  for (const d of stuck) {
    const key = resolveKey(String(d._id));
    const at = await claimedAt(key);
    if (at && now.getTime() - at.getTime() < RESOLVE_LEASE_MS) continue; // still being resolved
    if (d.resolution && appliedEntry(await loadVisit(String(d.visitId)), String(d._id))) {
      await finish(d._id, d.resolution.decision, {});
    } else {
      const claim = at ? await takeOverStale(key, RESOLVE_LEASE_MS) : await tryClaim(key);
      if (!claim) continue;
      await Dispute.updateOne({ _id: d._id, status: 'resolving' }, { $set: { status: 'open', resolution: null } });
      await release(claim);
      await syncVisitStatus(d.visitId);
    }
    recovered += 1;
  }
  return recovered;
}

/** The visit's answers with the disputed item's answer replaced (or added). */
function withCorrection(v: Pick<StoredVisit, 'answers'>, itemKey: string, value: AnswerValue): StoredAnswer[] {
  return v.answers.some((a) => a.itemKey === itemKey)
    ? v.answers.map((a) => (a.itemKey === itemKey ? { ...a, value } : a))
    : [...v.answers, { itemKey, value }];
}

/** The corrected value must fit the item, in the context of the visit's other answers (conditions). */
function checkCorrection(sections: ScoringSection[], d: LeanDispute, v: StoredVisit, value: AnswerValue): void {
  const corrected = withCorrection(v, d.itemKey, value);
  const at = corrected.findIndex((a) => a.itemKey === d.itemKey);
  const errors = answerErrors(sections, corrected)
    .filter((e) => e.field.startsWith(`answers.${at}.`))
    .map((e) => ({ field: 'value', message: e.message }));
  if (errors.length) throw new ValidationError(errors);
  const current = v.answers.find((a) => a.itemKey === d.itemKey)?.value ?? null;
  if (sameAnswer(current, value))
    throw new ValidationError(
      [
        {
          field: 'value',
          message: `the answer already is ${String(value)}; an overturn must change it (or uphold the dispute)`,
        },
      ],
      'Validation failed',
      'value_unchanged',
    );
}

export interface VisitFigures {
  value: AnswerValue | null;
  scores: StoredVisit['scores'];
  violations: string[];
}
const figures = (v: Pick<StoredVisit, 'answers' | 'scores' | 'violations'>, itemKey: string): VisitFigures => ({
  value: v.answers.find((a) => a.itemKey === itemKey)?.value ?? null,
  scores: { sections: { ...v.scores.sections }, total: v.scores.total ?? null },
  violations: v.violations.map((x) => x.itemKey),
});

/** Field-by-field changes of an overturn: the answer, answers it made inapplicable, every score that moved, the violations. */
function scoreChanges(before: VisitFigures, after: VisitFigures, itemKey: string, cleared: StoredAnswer[]): Change[] {
  const out: Change[] = [{ field: `answers.${itemKey}`, before: before.value, after: after.value }];
  for (const a of cleared) out.push({ field: `answers.${a.itemKey}`, before: a.value, after: null });
  for (const [k, b] of Object.entries(before.scores.sections)) {
    const a = after.scores.sections[k as keyof typeof after.scores.sections];
    if (a !== b) out.push({ field: `scores.sections.${k}`, before: b, after: a });
  }
  if (before.scores.total !== after.scores.total)
    out.push({ field: 'scores.total', before: before.scores.total, after: after.scores.total });
  if (before.violations.join(',') !== after.violations.join(','))
    out.push({ field: 'violations', before: before.violations, after: after.violations });
  return out;
}

/**
 * The visit as an overturn leaves it: the corrected answer, answers to items it leaves hidden
 * (conditions no longer met) cleared, rescored.
 */
function overturned(v: StoredVisit, itemKey: string, value: AnswerValue, sections: ScoringSection[]) {
  const item = sections.flatMap((s) => s.items).find((i) => i.key === itemKey);
  const { kept: answers, hidden: cleared } = splitHidden(
    sections,
    withCorrection(v, itemKey, canonicalAnswer(item, value) as AnswerValue),
  );
  const s = scoreVisit(
    sections,
    answers.map((a) => ({ itemKey: a.itemKey, value: a.value })),
  );
  return { answers, scores: { sections: s.sections, total: s.total }, violations: s.violations, cleared };
}

/** One attempt at applying the decision to the visit (retried on a lost race). */
async function applyDecision(
  p: Principal,
  d: LeanDispute,
  input: ResolveDisputeInput,
  sections: ScoringSection[],
): Promise<{ before: VisitFigures; after: VisitFigures }> {
  const v = await loadVisit(String(d.visitId));
  if (!v) throw new NotFoundError('Visit');
  assertStatus(v, DISPUTABLE, 'changed by a dispute decision');
  // Read after the visit: any dispute change before this read is reflected in the status below.
  const status = await statusByDisputes(d.visitId);
  const before = figures(v, d.itemKey);
  const set: Record<string, unknown> = { status };
  const changes: Change[] = [{ field: `disputes.${String(d._id)}`, before: 'open', after: input.decision }];
  let after = before;
  if (input.decision === 'overturned') {
    const { cleared, ...corrected } = overturned(v, d.itemKey, input.value as AnswerValue, sections);
    Object.assign(set, corrected);
    after = figures(corrected, d.itemKey);
    changes.push(...scoreChanges(before, after, d.itemKey, cleared));
  }
  if (status !== v.status) changes.push({ field: 'status', before: v.status, after: status });
  await commit(v, {
    statuses: DISPUTABLE,
    set,
    entry: historyEntry(p, `dispute_${input.decision}`, changes, input.note),
  });
  return { before, after };
}

/**
 * The reviewer upholds (answer unchanged) or overturns (answer corrected, scores and violations
 * recomputed from the visit's own questionnaire version) a dispute; all of it in the visit's history.
 */
export async function resolveDispute(p: Principal, id: string, input: ResolveDisputeInput): Promise<DisputeView> {
  requireRole(p, RESOLVER);
  const d = await loadDispute(id);
  if (isDecided(d.status)) throw alreadyResolved();
  const v = await loadVisit(String(d.visitId));
  if (!v) throw new NotFoundError('Visit');
  const version = await versionOf(String(d.questionnaireId), d.questionnaireVersion);
  if (input.decision === 'overturned') checkCorrection(version.sections, d, v, input.value as AnswerValue);
  const claim = await claimResolution(d);
  const resolution = {
    decision: input.decision,
    value: input.value ?? null,
    note: input.note,
    by: new Types.ObjectId(p.id),
    at: new Date(),
  };
  let applied;
  try {
    const fresh = await loadDispute(id);
    if (isDecided(fresh.status)) throw alreadyResolved();
    await Dispute.updateOne({ _id: d._id }, { $set: { status: 'resolving', resolution } });
    applied = await withRetry(() => applyDecision(p, d, input, version.sections));
  } catch (e) {
    await Dispute.updateOne({ _id: d._id, status: 'resolving' }, { $set: { status: 'open', resolution: null } });
    await release(claim);
    await syncVisitStatus(d.visitId);
    throw e;
  }
  // The claim stays: a decided dispute is never decided again.
  await finish(d._id, input.decision, { resolution: { ...resolution, before: applied.before, after: applied.after } });
  await audit.record({
    action: 'dispute.resolved',
    actor: audit.auditActor(p),
    target: { type: 'dispute', id, label: `${d.branchCode} ${d.itemKey}` },
    bankId: String(d.bankId),
    before: { status: d.status, value: applied.before },
    after: { decision: input.decision, value: applied.after },
    note: input.note,
  });
  return getDispute(p, id);
}
