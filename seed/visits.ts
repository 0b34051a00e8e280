import { Types } from 'mongoose';
import { Readable } from 'node:stream';
import { createAssignment } from '../server/assignments/service';
import { staffOfBanks } from '../server/banks/service';
import { storeEvidence } from '../server/evidence/storage';
import type { Principal } from '../server/platform/access';
import { now, withClock } from '../server/platform/clock';
import {
  addAttachment,
  createVisit,
  recordLocation,
  reviewVisit,
  submitVisit,
  updateVisit,
} from '../server/visits/service';
import { evidenceMissing } from '../server/rules/scoring';
import { lobbyPhoto } from './evidence-image';
import { pick } from './rng';
import {
  DAY,
  HOUR,
  MINUTE,
  Timeline,
  answersFor,
  decorate,
  isoIn,
  planBank,
  scoringSections,
  staffFor,
  summaryFor,
  type BankRound,
  type AnswerIn,
  type Plan,
  type StaffRow,
  type VisitSeedResult,
} from './visit-plans';
import { APPROVE_NOTES, FIX_SUMMARY_SUFFIX, OUTSIDE_WINDOW_NOTE, RETURN_NOTES } from './visit-texts';

async function attachPhoto(
  auditor: Principal,
  visitId: string,
  photo: { seed: number; name: string },
  itemKey?: string,
): Promise<void> {
  const stored = await storeEvidence(
    Readable.from([lobbyPhoto(photo.seed)]),
    photo.name,
    { visitId, uploadedBy: auditor.id },
    new Types.ObjectId(),
  );
  await addAttachment(auditor, visitId, stored, itemKey);
}

/** Photos of the branch, then one for each failed evidence-on-failure item (submission needs it). */
async function attachEvidence(p: Plan, ctx: Ctx, visitId: string, answers: AnswerIn[], at: () => Date): Promise<void> {
  for (const photo of p.photos) await withClock(at(), () => attachPhoto(p.auditor, visitId, photo));
  const failed = evidenceMissing(scoringSections(p.round), answers, new Set());
  for (const m of failed) {
    const photo = { seed: Math.floor(p.r() * 1e6), name: `${m.itemKey}.jpg` };
    await withClock(at(), () => attachPhoto(p.auditor, visitId, photo, m.itemKey));
  }
  ctx.attached += p.photos.length + failed.length;
}

interface Ctx {
  admin: Principal;
  reviewer: Principal;
  staff: Map<string, StaffRow[]>;
  today: Date;
  /** Files attached, counted as they are. */
  attached: number;
}

/** Plays one planned visit: assignment, visit, evidence, submission, review. */
async function play(p: Plan, ctx: Ctx): Promise<void> {
  const zone = p.round.timezone;
  const planned = Math.min(p.windowStart.getTime() - 3 * DAY, ctx.today.getTime() - HOUR);
  const assignment = await withClock(new Date(planned), () =>
    createAssignment(ctx.admin, {
      bankId: p.round.bankId,
      branchCode: p.branch.code,
      auditorId: p.auditor.id,
      questionnaireId: p.round.questionnaireId,
      quarter: p.quarter,
      windowStart: isoIn(p.windowStart, zone),
      windowEnd: isoIn(p.windowEnd, zone),
      scenario: p.scenario,
    }),
  );
  if (!p.visitedAt) return;
  const visitedAt = p.outsideWindow ? new Date(p.windowEnd.getTime() + 12 * HOUR) : p.visitedAt;
  const t = new Timeline(visitedAt, ctx.today.getTime() - MINUTE);
  const end = visitedAt.getTime() + p.durationMinutes * MINUTE;
  const answers = answersFor(p);
  const staff = staffFor(p, ctx.staff.get(`${p.round.bankId}|${p.branch.code}`) ?? []);
  const firstSections = new Set(p.round.sections.slice(0, 2).flatMap((s) => s.items.map((i) => i.key)));
  const started = answers.filter((a) => firstSections.has(a.itemKey));
  const body = {
    assignmentId: assignment.id,
    visitedAt: isoIn(visitedAt, zone),
    durationMinutes: p.durationMinutes,
    staff,
    answers: p.state === 'draft' ? started : answers,
    // The shopper confirmed the time outside the window (the page asks); the visit is flagged for it.
    ...(p.outsideWindow ? { confirmOutsideWindow: true } : {}),
  };
  const visit = await withClock(t.at(end + (10 + p.r() * 20) * MINUTE), () =>
    createVisit(p.auditor, { ...body, summary: p.state === 'draft' ? undefined : summaryFor(p) }),
  );
  // The phone's arrival and departure (SPEC §9), sent once the visit was started on it.
  const place = { lat: 31.2304, lng: 121.4737, accuracy: 25 };
  await withClock(t.at(end + 31 * MINUTE), async () => {
    await recordLocation(p.auditor, visit.id, { kind: 'arrive', ...place, capturedAt: visitedAt.toISOString() });
    await recordLocation(p.auditor, visit.id, { kind: 'leave', ...place, capturedAt: new Date(end).toISOString() });
  });
  await attachEvidence(p, ctx, visit.id, answers, () => t.at(end + 35 * MINUTE));
  if (p.state === 'draft') {
    // A draft saved as the shopper went: the rest of the form later, unless they have not got to it yet.
    if (!p.partial)
      await withClock(t.at(end + 50 * MINUTE), () =>
        updateVisit(p.auditor, visit.id, { answers, summary: summaryFor(p) }),
      );
    return;
  }
  const submitAt = p.late ? visitedAt.getTime() + 80 * HOUR : end + 60 * MINUTE;
  await withClock(t.at(submitAt), () => submitVisit(p.auditor, visit.id));
  if (p.state === 'submitted') return;
  const lang = p.round.lang;
  const reviewAt = () => t.after(DAY + p.r() * 5 * HOUR);
  if (p.state === 'returned' || p.returnedFirst) {
    await withClock(reviewAt(), () =>
      reviewVisit(ctx.reviewer, visit.id, { decision: 'return', note: pick(p.r, RETURN_NOTES[lang]) }),
    );
    if (p.state === 'returned') return;
    await withClock(t.after(3 * HOUR), () =>
      updateVisit(p.auditor, visit.id, { summary: `${summaryFor(p)}${FIX_SUMMARY_SUFFIX[lang]}` }),
    );
    await withClock(t.after(5 * MINUTE), () => submitVisit(p.auditor, visit.id));
  }
  const note = p.outsideWindow ? OUTSIDE_WINDOW_NOTE[lang] : p.r() < 0.3 ? pick(p.r, APPROVE_NOTES[lang]) : undefined;
  await withClock(reviewAt(), () =>
    reviewVisit(ctx.reviewer, visit.id, { decision: 'approve', ...(note ? { note } : {}) }),
  );
}

/** Runs tasks with at most `limit` in flight (the database serialises writes; a little overlap still helps). */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function seedVisits(rounds: BankRound[], admin: Principal, reviewer: Principal): Promise<VisitSeedResult> {
  const today = now();
  const staffRows = await staffOfBanks(rounds.map((b) => b.bankId));
  const staff = new Map<string, StaffRow[]>();
  for (const s of staffRows) {
    const key = `${s.bankId}|${s.branchCode}`;
    staff.set(key, [...(staff.get(key) ?? []), s]);
  }
  const { plans, shared } = decorate(rounds.flatMap((round) => planBank(round, today)));
  const ctx: Ctx = { admin, reviewer, staff, today, attached: 0 };
  await pool(
    plans.filter((p) => !shared.includes(p)),
    4,
    (p) => play(p, ctx),
  );
  // One after the other: attaching the second copy re-flags the first visit, which must not race its own writes.
  for (const p of shared) await play(p, ctx);
  return { assignments: plans.length, attachments: ctx.attached };
}

export type { BankRound, VisitSeedResult } from './visit-plans';
