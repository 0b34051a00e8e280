import { purgeExpiredTokens } from './users/service';
import { purgeAbandonedUploads } from './evidence/pending';
import { IdempotencyRecord } from './platform/db/idempotency';
import { RateCounter } from './platform/http/rate-limit';
import { logger } from './platform/logger';
import { SessionRecord } from './platform/db/session-store';
import { VisitWriteClaim } from './visits/model';

/**
 * Records that only matter for a while. FerretDB has no TTL indexes, so the worker deletes them on a
 * timer (every instance may; the deletes are idempotent).
 * - sessions: once expired they can never be used again;
 * - API tokens: kept a week past expiry, so "why was I signed out" can still be answered;
 * - idempotency records: a retry of a POST is honoured for 30 days (a phone that was offline for days);
 * - visit write claims: each only guards its own revision during one request (see VisitWriteClaim);
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
    purgeExpiredTokens(now, KEEP.tokensAfterExpiryDays),
    IdempotencyRecord.deleteMany({ createdAt: { $lt: daysBefore(now, KEEP.idempotencyDays) } }),
    VisitWriteClaim.deleteMany({ at: { $lt: daysBefore(now, KEEP.writeClaimsDays) } }),
    RateCounter.deleteMany({ resetAt: { $lt: now } }),
  ]);
  const abandonedUploads = await purgeAbandonedUploads(now);
  const purged = {
    sessions: sessions.deletedCount,
    tokens,
    idempotency: idempotency.deletedCount,
    writeClaims: writeClaims.deletedCount,
    rateCounters: rateCounters.deletedCount,
    abandonedUploads,
  };
  if (Object.values(purged).some((n) => n > 0)) logger.info(purged, 'expired records purged');
  return purged;
}
