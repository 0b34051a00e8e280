import { Types } from 'mongoose';
import { assignmentWindow } from '../assignments/service';
import { BoundedCache } from '../platform/cache';
import { now } from '../platform/clock';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { getVersion, toScoringSections } from '../questionnaires/service';
import { scoreVisit, type ScoringSection } from '../rules/scoring';
import { branchPlace } from '../banks/service';
import { computeLocationFlags, type PositionRecord } from '../rules/location';
import { computeFlags, outsideWindow } from './flags';
import { Visit } from './model';
import type {
  Change,
  HistoryEntry,
  StoredAnswer,
  StoredAttachment,
  StoredLocation,
  StoredVisit,
  VisitStatus,
} from './types';

/**
 * The rules every change of a visit follows, whoever makes it: which statuses allow it, how it is
 * recorded in the history, and what it derives — scores and violations (SPEC §3, from the visit's own
 * questionnaire version) and plausibility flags (SPEC §4) — always recomputed from the raw facts.
 */

export function assertStatus(v: StoredVisit, allowed: readonly VisitStatus[], action: string): void {
  if (!allowed.includes(v.status)) {
    throw new ConflictError(`A ${v.status} visit cannot be ${action}`, 'invalid_state', [
      { field: 'status', message: `is ${v.status}; allowed: ${allowed.join(', ')}` },
    ]);
  }
}

export function historyEntry(
  by: { id: string; role: string } | null,
  action: string,
  changes: Change[],
  note?: string,
): HistoryEntry {
  return {
    at: now(),
    by: by ? new Types.ObjectId(by.id) : null,
    role: by?.role ?? 'system',
    action,
    changes,
    ...(note ? { note } : {}),
  };
}

/**
 * A visit time outside its assignment's window is refused unless the auditor confirms it (it is then
 * flagged). The visit's quarter is its assignment's, whatever the time typed: a typo in the year can
 * never file a visit under another quarter.
 */
export function assertInWindow(
  visitedAt: Date,
  window: { windowStart: Date; windowEnd: Date },
  confirmed: boolean | undefined,
): void {
  if (confirmed || !outsideWindow(visitedAt, window)) return;
  const start = window.windowStart.toISOString();
  const end = window.windowEnd.toISOString();
  throw new ValidationError(
    [
      {
        field: 'visitedAt',
        message: `is outside the assignment window (${start} – ${end}); send confirmOutsideWindow: true to keep it`,
        windowStart: start,
        windowEnd: end,
      },
    ],
    'The visit time is outside the assignment window',
    'outside_window',
  );
}

/** Versions are immutable, so their scoring sections can be kept; bounded, oldest dropped first. */
const sectionCache = new BoundedCache<string, ScoringSection[]>({ limit: 200 });

/** The scoring sections of a questionnaire version, defaults applied by the questionnaire service. */
async function versionSections(questionnaireId: string, version: number): Promise<ScoringSection[]> {
  const key = `${questionnaireId}@${version}`;
  const hit = sectionCache.get(key);
  if (hit) return hit;
  const sections = toScoringSections(await getVersion(questionnaireId, version));
  sectionCache.set(key, sections);
  return sections;
}

export async function sectionsOf(
  v: Pick<StoredVisit, 'questionnaireId' | 'questionnaireVersion'>,
): Promise<ScoringSection[]> {
  try {
    return await versionSections(String(v.questionnaireId), v.questionnaireVersion);
  } catch (e) {
    // A stored visit whose version is gone is broken data, not a client's "not found".
    if (e instanceof NotFoundError)
      throw new Error(`questionnaire version ${String(v.questionnaireId)}@${v.questionnaireVersion} is missing`, {
        cause: e,
      });
    throw e;
  }
}

/** Other visits that hold a file with one of these hashes (removed files count: evidence is never forgotten). */
export async function duplicateVisitIds(visitId: Types.ObjectId, hashes: string[]): Promise<string[]> {
  if (hashes.length === 0) return [];
  const others = await Visit.find({ _id: { $ne: visitId }, 'attachments.sha256': { $in: hashes } }, { _id: 1 }).lean();
  return others.map((o) => String(o._id));
}

export interface DerivedInput {
  _id: Types.ObjectId;
  assignmentId: Types.ObjectId;
  visitedAt: Date;
  durationMinutes: number;
  answers: StoredAnswer[];
  attachments: (Pick<StoredAttachment, 'sha256'> &
    Partial<Pick<StoredAttachment, 'capturedAt' | 'gps' | 'removedAt'>>)[];
  firstSubmittedAt?: Date | null;
  bankId?: Types.ObjectId;
  branchCode?: string;
  locations?: StoredLocation[];
}

/**
 * SPEC §9's location flags, once the visit is submitted: a draft is still being made in the field
 * (the auditor may start the form before reaching the branch), a submitted visit is judged.
 */
export async function locationFlags(v: DerivedInput) {
  if (!v.firstSubmittedAt || !v.bankId || !v.branchCode) return [];
  const place = await branchPlace(String(v.bankId), v.branchCode);
  const records = (v.locations ?? []).flatMap((l): PositionRecord[] =>
    typeof l.lat === 'number' && typeof l.lng === 'number'
      ? [{ kind: l.kind, lat: l.lat, lng: l.lng, accuracy: l.accuracy ?? 0, capturedAt: new Date(l.capturedAt) }]
      : [],
  );
  return computeLocationFlags({
    visitedAt: v.visitedAt,
    branch: place.position,
    geofenceMeters: place.geofenceMeters,
    records,
    refused: (v.locations ?? []).some((l) => l.refused),
    photos: v.attachments
      .filter((a) => !a.removedAt)
      .map((a) => ({ capturedAt: a.capturedAt ?? null, gps: a.gps ?? null })),
  });
}

/** Scores, violations and flags, always recomputed from the raw facts and the visit's own questionnaire version. */
export async function derive(v: DerivedInput, sections: ScoringSection[], at = now()) {
  const s = scoreVisit(
    sections,
    v.answers.map((a) => ({ itemKey: a.itemKey, value: a.value })),
  );
  const a = await assignmentWindow(v.assignmentId);
  const flags = computeFlags({
    visitedAt: v.visitedAt,
    durationMinutes: v.durationMinutes,
    windowStart: a?.windowStart ?? v.visitedAt,
    windowEnd: a?.windowEnd ?? v.visitedAt,
    firstSubmittedAt: v.firstSubmittedAt,
    now: at,
    duplicateVisitIds: await duplicateVisitIds(v._id, [...new Set(v.attachments.map((x) => x.sha256))]),
  });
  flags.push(...(await locationFlags(v)));
  return { scores: { sections: s.sections, total: s.total }, violations: s.violations, flags };
}
