import type { Types } from 'mongoose';
import { ApiToken } from './auth/model';
import * as disputes from './disputes/service';
import { purgeAbandonedUploads, type UploadHolder } from './evidence/pending';
import { IdempotencyRecord } from './platform/db/idempotency';
import { RateCounter } from './platform/http/rate-limit';
import { logger } from './platform/logger';
import { SessionRecord } from './platform/db/session-store';
import { purgeExpiredClaims } from './platform/db/write-claims';
import * as visits from './visits/service';

/**
 * Records that only matter for a while. FerretDB has no TTL indexes, so the worker deletes them on a
 * timer (every instance may; the deletes are idempotent).
 * - sessions: once expired they can never be used again;
 * - API tokens: kept a week past expiry, so "why was I signed out" can still be answered;
 * - idempotency records: a retry of a POST is honoured for 30 days (a phone that was offline for days);
 * - write claims past their expiry (a visit's revision claim is kept a day; see platform/db/write-claims);
 * - sign-in rate counters, once their window is over;
 * - evidence uploads a dead process left half-stored (see PendingUpload).
 */
export const KEEP = { tokensAfterExpiryDays: 7, idempotencyDays: 30, writeClaimsDays: 1 } as const;

export interface Purged {
  sessions: number;
  tokens: number;
  idempotency: number;
  writeClaims: number;
  rateCounters: number;
  abandonedUploads: number;
}

const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * 86400_000);

export async function purgeExpired(now = new Date()): Promise<Purged> {
  const [sessions, tokens, idempotency, writeClaims, rateCounters] = await Promise.all([
    SessionRecord.deleteMany({ expiresAt: { $lt: now } }),
    ApiToken.deleteMany({ expiresAt: { $lt: daysBefore(now, KEEP.tokensAfterExpiryDays) } }),
    IdempotencyRecord.deleteMany({ createdAt: { $lt: daysBefore(now, KEEP.idempotencyDays) } }),
    purgeExpiredClaims(now),
    RateCounter.deleteMany({ resetAt: { $lt: now } }),
  ]);
  const abandonedUploads = await purgeAbandonedUploads(now, evidenceHeld);
  const purged = {
    sessions: sessions.deletedCount,
    tokens: tokens.deletedCount,
    idempotency: idempotency.deletedCount,
    writeClaims,
    rateCounters: rateCounters.deletedCount,
    abandonedUploads,
  };
  if (Object.values(purged).some((n) => n > 0)) logger.info(purged, 'expired records purged');
  return purged;
}

/** Whether the visit or dispute an upload was for holds its file (the evidence storage knows neither). */
function evidenceHeld(holder: UploadHolder, fileId: Types.ObjectId): Promise<boolean> {
  return holder.kind === 'visit'
    ? visits.holdsEvidenceFile(holder.id, fileId)
    : disputes.holdsEvidenceFile(holder.id, fileId);
}
