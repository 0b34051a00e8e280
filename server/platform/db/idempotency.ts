import { isDuplicateKey } from './duplicate-key';
import type { NextFunction, Request, Response } from 'express';
import { Schema, model } from 'mongoose';
import { ConflictError, ValidationError } from '../errors';

/**
 * API rule: a POST repeating an earlier Idempotency-Key of the same user returns the first result
 * and creates nothing new. The key is claimed before the work starts (unique index), and the result
 * is recorded before the response is sent, so an acknowledged result is always replayable.
 */
const idempotencySchema = new Schema(
  {
    // "<userId>:<key>": every read and write of a record is by _id, the only filter FerretDB 1.24 answers with an index.
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    key: { type: String, required: true },
    method: { type: String, required: true },
    path: { type: String, required: true },
    state: { type: String, enum: ['pending', 'done'], required: true },
    responseStatus: { type: Number },
    responseBody: { type: String },
    claimedAt: { type: Date, required: true },
  },
  { timestamps: true },
);
idempotencySchema.index({ userId: 1, key: 1 }, { unique: true });
export const IdempotencyRecord = model('IdempotencyRecord', idempotencySchema);

export function idempotencyRecordId(userId: string, key: string): string {
  return `${userId}:${key}`;
}

/**
 * A claim is renewed every `renewMs` while its request runs, so one not renewed for `staleMs` belongs
 * to a request that died with its process (kill -9, power loss) and a retry may take it over. A fixed
 * long lease instead would refuse every retry as "in progress" for minutes after a crash. Mutable for tests.
 */
export const claimLease = { staleMs: 10_000, renewMs: 3_000 };

/**
 * Answers that carry a secret shown only once (recovery codes) are never stored for a replay: a copy of
 * them would sit in the database for 30 days. These routes take no Idempotency-Key.
 */
const SECRET_ANSWERS = /\/api\/v1\/auth\/(mfa\/verify|mfa\/recovery-codes|mfa\/enroll)$/;

export async function idempotency(req: Request, res: Response, next: NextFunction): Promise<void> {
  const key = req.get('idempotency-key');
  if (req.method !== 'POST' || !key || !req.principal) return next();
  if (SECRET_ANSWERS.test(req.originalUrl.split('?')[0])) return next();
  try {
    if (key.length > 200) throw new ValidationError([{ field: 'Idempotency-Key', message: 'at most 200 characters' }]);
    const userId = req.principal.id;
    const path = req.originalUrl.split('?')[0];
    const replayed = await claimOrReplay(userId, key, path, res);
    if (replayed) return;
    const id = idempotencyRecordId(userId, key);
    const renewal = setInterval(() => {
      IdempotencyRecord.updateOne({ _id: id }, { $set: { claimedAt: new Date() } }).catch(() => undefined);
    }, claimLease.renewMs);
    renewal.unref();
    captureResult(id, res, () => clearInterval(renewal));
    next();
  } catch (e) {
    next(e);
  }
}

async function claimOrReplay(userId: string, key: string, path: string, res: Response): Promise<boolean> {
  const id = idempotencyRecordId(userId, key);
  try {
    await IdempotencyRecord.create({
      _id: id,
      userId,
      key,
      method: 'POST',
      path,
      state: 'pending',
      claimedAt: new Date(),
    });
    return false;
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
  }
  // A record written before records were keyed by "<userId>:<key>" has another _id (and is found by a scan).
  const rec = (await IdempotencyRecord.findById(id)) ?? (await IdempotencyRecord.findOne({ userId, key }));
  if (!rec) return claimOrReplay(userId, key, path, res);
  if (rec.path !== path)
    throw new ConflictError('This Idempotency-Key was used for another request', 'idempotency_key_reused');
  if (rec.state === 'done') {
    res
      .status(rec.responseStatus ?? 200)
      .set('Idempotent-Replayed', 'true')
      .type('application/json')
      .send(rec.responseBody ?? 'null');
    return true;
  }
  if (Date.now() - rec.claimedAt.getTime() < claimLease.staleMs) {
    throw new ConflictError('A request with this Idempotency-Key is still being processed', 'idempotency_in_progress');
  }
  const taken = await IdempotencyRecord.updateOne(
    { _id: rec._id, state: 'pending', claimedAt: rec.claimedAt },
    { $set: { claimedAt: new Date() } },
  );
  if (taken.modifiedCount !== 1)
    throw new ConflictError('A request with this Idempotency-Key is still being processed', 'idempotency_in_progress');
  return false;
}

function captureResult(id: string, res: Response, stopRenewal: () => void): void {
  let settled = false;
  const originalJson = res.json.bind(res);
  res.json = ((body: unknown) => {
    settled = true;
    stopRenewal();
    const status = res.statusCode;
    const store =
      status >= 200 && status < 300
        ? IdempotencyRecord.updateOne(
            { _id: id },
            { $set: { state: 'done', responseStatus: status, responseBody: JSON.stringify(body) } },
          )
        : IdempotencyRecord.deleteOne({ _id: id }); // still this request's pending claim; failures may be corrected and retried
    store.then(
      () => originalJson(body),
      () => originalJson(body),
    );
    return res;
  }) as Response['json'];
  // Only JSON answers are replayable. Any other answer (a 204, a file) releases the claim before it is
  // sent, or every retry would be refused as "in progress" until the claim went stale.
  const originalEnd = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    if (settled) return originalEnd(...args);
    settled = true;
    stopRenewal();
    const release = () => originalEnd(...args);
    IdempotencyRecord.deleteOne({ _id: id }).then(release, release);
    return res;
  }) as Response['end'];
}

/** Housekeeping: a retry of a POST is honoured for 30 days (a phone that was offline for days). */
export const IDEMPOTENCY_KEEP_DAYS = 30;

export async function purgeOldIdempotencyRecords(now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - IDEMPOTENCY_KEEP_DAYS * 86400_000);
  const r = await IdempotencyRecord.deleteMany({ createdAt: { $lt: before } });
  return r.deletedCount;
}
