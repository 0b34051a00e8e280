import fs from 'node:fs';
import path from 'node:path';
import { Types } from 'mongoose';
import { now } from '../platform/clock';
import { config } from '../platform/config';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { logger } from '../platform/logger';
import { requestFacts } from '../platform/request-context';
import { isAuditAction, type AuditAction } from './actions';
import { AuditEntry, type StoredAuditEntry } from './model';

/**
 * Recording an event never fails or holds up the action it records, and never fails silently.
 * The entry is written at once (the normal case: it is there when the answer is sent). If that write
 * fails or takes longer than INLINE_TIMEOUT_MS, the entry goes to a spool file in DATA_DIR (appended,
 * so it survives a crash of the process) and is retried with growing delays until it is in the
 * database; every failure is logged at error level with the whole entry and counted (auditHealth(),
 * shown on the audit-log page). The entry keeps the id it was given when the event happened, so a
 * retry after a write that did land (but answered late) is recognised and not stored twice.
 */
export interface AuditActor {
  /** Unknown for a failed sign-in with an e-mail that belongs to nobody. */
  id?: string;
  email?: string;
  role?: string;
  bankId?: string | null;
}

export interface AuditEvent {
  action: AuditAction;
  outcome?: 'success' | 'failure';
  actor?: AuditActor | null;
  target: { type: string; id?: string; label?: string };
  /** The bank the target belongs to. */
  bankId?: string | null;
  before?: unknown;
  after?: unknown;
  note?: string;
}

const INLINE_TIMEOUT_MS = 2000;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;
const MEMORY_LIMIT = 10_000;

type Writer = (doc: StoredAuditEntry) => Promise<void>;

const insert: Writer = async (doc) => {
  try {
    await AuditEntry.collection.insertOne(doc as never);
  } catch (e) {
    // The same entry written before (a retry of a write that landed late) is what we wanted.
    if (!isDuplicateKey(e)) throw e;
  }
};
let writer: Writer = insert;

const health = {
  written: 0,
  failedWrites: 0,
  retriedWrites: 0,
  lastFailure: null as null | { at: string; message: string },
};
/** Entries that could not even be spooled (the disk refused too): kept here and retried. */
const inMemory: StoredAuditEntry[] = [];
let retryTimer: NodeJS.Timeout | null = null;
let retryDelay = RETRY_FIRST_MS;

const json = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));

export function entryOf(e: AuditEvent): StoredAuditEntry {
  if (!isAuditAction(e.action)) throw new Error(`unknown audit action ${String(e.action)}`);
  const facts = requestFacts();
  const doc: Record<string, unknown> = {
    _id: new Types.ObjectId(),
    at: now(),
    action: e.action,
    outcome: e.outcome ?? 'success',
    actorId: e.actor?.id,
    actorEmail: e.actor?.email,
    actorRole: e.actor?.role,
    actorBankId: e.actor?.bankId ?? undefined,
    ip: facts.ip,
    userAgent: facts.userAgent,
    requestId: facts.requestId,
    target: e.target,
    bankId: e.bankId ?? undefined,
    before: json(e.before),
    after: json(e.after),
    note: e.note,
  };
  for (const k of Object.keys(doc)) if (doc[k] === undefined) delete doc[k];
  return doc as StoredAuditEntry;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`audit write took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Records an event; resolves once it is written or safely waiting for a retry. Never rejects. */
export async function record(e: AuditEvent): Promise<void> {
  let doc: StoredAuditEntry;
  try {
    doc = entryOf(e);
  } catch (err) {
    logger.error({ err, event: e }, 'audit event could not be recorded: not a known kind');
    return;
  }
  try {
    await withTimeout(writer(doc), INLINE_TIMEOUT_MS);
    health.written += 1;
  } catch (err) {
    failed(err, doc);
  }
}

function failed(err: unknown, doc: StoredAuditEntry): void {
  health.failedWrites += 1;
  health.lastFailure = { at: new Date().toISOString(), message: (err as Error).message ?? String(err) };
  logger.error({ err, auditEntry: doc }, 'audit entry not written; kept for a retry');
  spool([doc]);
  scheduleRetry();
}

// ---- the spool

function spoolDir(): string {
  return path.join(config().DATA_DIR, 'audit-spool');
}
const spoolFile = () => path.join(spoolDir(), 'pending.jsonl');

function spool(docs: StoredAuditEntry[]): void {
  try {
    fs.mkdirSync(spoolDir(), { recursive: true });
    fs.appendFileSync(spoolFile(), docs.map((d) => `${JSON.stringify(d)}\n`).join(''));
  } catch (err) {
    logger.error({ err, count: docs.length }, 'audit spool not writable; entries kept in memory until written');
    inMemory.push(...docs);
    if (inMemory.length > MEMORY_LIMIT) {
      const lost = inMemory.splice(0, inMemory.length - MEMORY_LIMIT);
      logger.fatal({ lost }, 'audit entries dropped: neither database nor spool accepted them');
    }
  }
}

function revive(line: string): StoredAuditEntry {
  const raw = JSON.parse(line) as Record<string, unknown>;
  return { ...raw, _id: new Types.ObjectId(String(raw._id)), at: new Date(String(raw.at)) } as StoredAuditEntry;
}

/** Takes the spool file over (by renaming it, so appends go to a new one meanwhile) and reads it. */
function takeSpool(): StoredAuditEntry[] {
  const taken = path.join(spoolDir(), `replaying-${process.pid}-${Date.now()}.jsonl`);
  try {
    fs.renameSync(spoolFile(), taken);
  } catch {
    return [];
  }
  const lines = fs.readFileSync(taken, 'utf8').split('\n').filter(Boolean);
  fs.rmSync(taken, { force: true });
  const docs: StoredAuditEntry[] = [];
  for (const line of lines) {
    try {
      docs.push(revive(line));
    } catch (err) {
      logger.error({ err, line }, 'unreadable line in the audit spool');
    }
  }
  return docs;
}

/** Writes whatever waits (spool file and memory); returns how many were written. Run after a failure and periodically. */
export async function retryWaitingEntries(): Promise<number> {
  const waiting = [...inMemory.splice(0), ...takeSpool()];
  let written = 0;
  for (let i = 0; i < waiting.length; i++) {
    try {
      await withTimeout(writer(waiting[i]), INLINE_TIMEOUT_MS);
      written += 1;
      health.retriedWrites += 1;
    } catch (err) {
      health.lastFailure = { at: new Date().toISOString(), message: (err as Error).message ?? String(err) };
      logger.error({ err, waiting: waiting.length - i }, 'audit entries still not written; retrying later');
      spool(waiting.slice(i));
      scheduleRetry();
      return written;
    }
  }
  if (written) logger.warn({ written }, 'waiting audit entries written');
  retryDelay = RETRY_FIRST_MS;
  return written;
}

function scheduleRetry(): void {
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    void retryWaitingEntries().catch((err) => logger.error({ err }, 'audit retry failed'));
  }, retryDelay);
  retryTimer.unref();
}

function waitingCount(): number {
  try {
    return inMemory.length + fs.readFileSync(spoolFile(), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return inMemory.length;
  }
}

export interface AuditHealth {
  written: number;
  failedWrites: number;
  retriedWrites: number;
  waiting: number;
  lastFailure: { at: string; message: string } | null;
}

/** This process's record of audit writes: what failed, what waits (read by the audit-log page). */
export function auditHealth(): AuditHealth {
  return { ...health, waiting: waitingCount() };
}

/** For the fault tests: a write path that fails on purpose, then the real one again (null). */
export function setAuditWriterForTests(w: ((doc: StoredAuditEntry, real: Writer) => Promise<void>) | null): void {
  writer = w ? (doc) => w(doc, insert) : insert;
}
