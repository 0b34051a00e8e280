import type { Types } from 'mongoose';
import { purgeAbandonedUploads } from './evidence/pending';
import { purgeAbandonedUploadSessions } from './uploads/service';
import * as calibration from './calibration/service';
import { config } from './platform/config';
import { purgeOldIdempotencyRecords } from './platform/db/idempotency';
import { purgeExpiredSessions } from './platform/db/session-store';
import { purgeExpiredClaims } from './platform/db/write-claims';
import { purgeFinishedRateWindows } from './platform/http/rate-limit';
import { logger } from './platform/logger';
import {
  startWorkers,
  type JobHandler,
  type PeriodicTask,
  type WorkerOptions,
  type WorkerRegistry,
  type WorkLoop,
  type Workers,
} from './platform/jobs/worker';
import type { MailComposers } from './platform/mail/outbox';
import {
  CLOSE_JOB,
  closeDueQuarters,
  composeReportMail,
  markCloseFailed,
  noteOverturns,
  REPORT_MAIL,
  runCloseJob,
} from './publishing/jobs';
import { purgeExpiredTokens, purgeOldResetTokens } from './users/service';
import { applyMoves } from './banks/service';
import { composeResetMail, purgeOldSsoAttempts, RESET_MAIL } from './auth/service';
import { retryWaitingEntries } from './audit/service';
import * as disputes from './disputes/service';
import type { UploadHolder } from './evidence/pending';
import * as stats from './stats/service';
import * as visits from './visits/service';
import * as alerts from './alerts/service';
import * as webhooks from './webhooks/service';

/**
 * The job registry (as Ghost keeps its jobs): every job type with its handler, every kind of e-mail
 * with its composer, and the periodic tasks. The generic worker (platform/jobs/worker.ts) runs what
 * this file hands it; the app, the command line, the tests and the benchmarks all start their
 * workers here, so they run the same work.
 */
const JOBS: Record<string, JobHandler> = {
  [CLOSE_JOB]: { run: runCloseJob, failed: markCloseFailed },
};

const MAIL: MailComposers = {
  [REPORT_MAIL]: composeReportMail,
  [RESET_MAIL]: composeResetMail,
  [alerts.ALERT_MAIL]: alerts.composeAlertMail,
  [alerts.ALERT_WITHDRAWN_MAIL]: alerts.composeAlertMail,
  [webhooks.DISABLED_MAIL]: webhooks.composeDisabledMail,
};

/**
 * Loops of their own, so a long job (a quarter close) never holds them up: the visits' changes
 * followed for alerts and webhooks (within a second of an approval), and the webhook deliveries.
 */
const LOOPS: WorkLoop[] = [
  // Woken at once by every noted change and queued delivery of this process; the idle poll (for other
  // instances' work, and retries coming due) need not be as eager as the tests' pollMs.
  { name: 'visit events', step: async () => (await webhooks.followVisitChanges()) > 0, idleMs: 500 },
  { name: 'webhook deliveries', step: (workerId) => webhooks.sendDueDeliveries(workerId), idleMs: 250 },
];

export interface AppWorkerOptions extends WorkerOptions {
  /** How often the optional schedule (AUTO_CLOSE_DAYS) looks for quarters due to close. */
  scheduleEveryMs?: number;
  /** How often expired sessions, tokens, idempotency records and write claims are purged. */
  housekeepingEveryMs?: number;
  /** How often the statistics catch up with noted visit changes, and check a sample of them. */
  statsEveryMs?: number;
  statsCheckEveryMs?: number;
  /** How often interrupted dispute resolutions are recovered and overturns noted for the reports. */
  overturnsEveryMs?: number;
  /** How often audit entries waiting after a failed write are retried. */
  auditRetryEveryMs?: number;
  /** How often reports that became ready are announced to the webhooks (report.published). */
  webhookReportsEveryMs?: number;
}

/** The name of the periodic task that carries dispute decisions over to the reports. */
export const OVERTURNS_TASK = 'dispute decisions to reports';

function periodicTasks(opts: AppWorkerOptions): PeriodicTask[] {
  const housekeepingEveryMs = opts.housekeepingEveryMs ?? 3600_000;
  return [
    {
      name: 'automatic quarter close',
      everyMs: opts.scheduleEveryMs ?? 60_000,
      enabled: () => config().AUTO_CLOSE_DAYS !== undefined,
      run: (now) => closeDueQuarters(now, config().AUTO_CLOSE_DAYS ?? 0),
    },
    {
      // Readers catch up for their own bank anyway; this keeps the statistics current for everyone.
      name: 'statistics catch-up',
      everyMs: opts.statsEveryMs ?? 1000,
      run: () => stats.catchUp(),
    },
    {
      // An import moves branches at once; a move interrupted half-way is finished here.
      name: 'branch moves',
      everyMs: 60_000,
      run: () => applyMoves(),
    },
    {
      name: 'statistics check',
      everyMs: opts.statsCheckEveryMs ?? 10 * 60_000,
      firstAfterMs: opts.statsCheckEveryMs ?? 10 * 60_000,
      run: () => stats.checkRecent(),
    },
    {
      // Runs at start-up too: what a crash left (a resolution half-way, an overturn not yet noted)
      // is picked up. Each overturn is normally noted at once; this retries what failed.
      name: OVERTURNS_TASK,
      everyMs: opts.overturnsEveryMs ?? 60_000,
      run: async (now) => {
        const recovered = await disputes.recoverInterruptedResolutions(now);
        if (recovered) logger.warn({ recovered }, 'dispute resolutions left half-way were completed or undone');
        return noteOverturns();
      },
    },
    {
      // Audit entries a failed write left in the spool (also after a crash: the spool is a file).
      name: 'audit log retries',
      everyMs: opts.auditRetryEveryMs ?? 30_000,
      firstAfterMs: 5_000,
      run: async () => {
        await retryWaitingEntries();
      },
    },
    {
      // A report becomes ready in one update of its own record: the ready ones are announced from there.
      // An endpoint disabled by a process that died before e-mailing the admins is finished here too.
      name: 'published reports to webhooks',
      everyMs: opts.webhookReportsEveryMs ?? 5000,
      run: async (now) => ({
        reports: await webhooks.announcePublishedReports(now),
        disableNotices: await webhooks.finishDisableNotices(),
        // The sending queue's sealed seconds more than a day old (a bulk of deletes every ten minutes).
        sealedBuckets: await webhooks.purgeSealedBuckets(),
      }),
    },
    {
      name: 'housekeeping',
      everyMs: housekeepingEveryMs,
      // The first purge waits one interval: start-up is busy enough, and tests start many short-lived workers.
      firstAfterMs: housekeepingEveryMs,
      run: (now) => purgeExpired(now),
    },
  ];
}

export function appWorkers(opts: AppWorkerOptions = {}): WorkerRegistry {
  return { jobs: JOBS, periodic: periodicTasks(opts), mail: MAIL, loops: LOOPS };
}

export type { Workers };

/** The background workers as the app runs them (options shorten the intervals in tests). */
export function startAppWorkers(options: AppWorkerOptions = {}): Workers {
  return startWorkers(appWorkers(options), options);
}

// ---- housekeeping

/**
 * Records that only matter for a while, deleted on a timer by each owner's purge (every instance
 * may run it; the deletes are idempotent). How long each is kept is its owner's rule:
 * - sessions: once expired they can never be used again;
 * - API tokens: kept a week past expiry, so "why was I signed out" can still be answered;
 * - idempotency records: a retry of a POST is honoured for 30 days (a phone that was offline for days);
 * - write claims: each only guards its own change for a while (visit revisions, expiring claims);
 * - sign-in rate counters, once their window is over;
 * - password-reset links a day past their hour, and sign-ins sent to a bank's provider that never came back;
 * - evidence uploads a dead process left half-stored (see PendingUpload);
 * - resumable uploads untouched for UPLOAD_RESUME_HOURS, with their stored parts.
 */
export interface Purged {
  sessions: number;
  tokens: number;
  idempotency: number;
  writeClaims: number;
  rateCounters: number;
  resetLinks: number;
  ssoAttempts: number;
  abandonedUploads: number;
  resumableUploads: number;
}

export async function purgeExpired(now = new Date()): Promise<Purged> {
  const [sessions, tokens, idempotency, writeClaims, rateCounters, resetLinks, ssoAttempts] = await Promise.all([
    purgeExpiredSessions(now),
    purgeExpiredTokens(now),
    purgeOldIdempotencyRecords(now),
    purgeExpiredClaims(now),
    purgeFinishedRateWindows(now),
    purgeOldResetTokens(now),
    purgeOldSsoAttempts(now),
  ]);
  const abandonedUploads = await purgeAbandonedUploads(now, evidenceHeld);
  const resumableUploads = await purgeAbandonedUploadSessions(now);
  const purged = {
    sessions,
    tokens,
    idempotency,
    writeClaims,
    rateCounters,
    resetLinks,
    ssoAttempts,
    abandonedUploads,
    resumableUploads,
  };
  if (Object.values(purged).some((n) => n > 0)) logger.info(purged, 'expired records purged');
  return purged;
}

/** Whether the visit, dispute or calibration round an abandoned upload was meant for holds the file after all. */
function evidenceHeld(holder: UploadHolder, fileId: Types.ObjectId): Promise<boolean> {
  if (holder.kind === 'calibration') return calibration.holdsEvidenceFile(holder.id, fileId);
  return holder.kind === 'visit'
    ? visits.holdsEvidenceFile(holder.id, fileId)
    : disputes.holdsEvidenceFile(holder.id, fileId);
}
