import session from 'express-session';
import { Schema, model } from 'mongoose';

/**
 * Web sessions live in the database so they survive restarts and are shared by app instances.
 * Own store rather than connect-mongo: FerretDB 1.24 has no TTL indexes, and connect-mongo would
 * close the shared Mongoose client on shutdown. Expired sessions are ignored on read and purged in bulk.
 */
const sessionSchema = new Schema(
  {
    _id: { type: String },
    data: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    userId: { type: String },
  },
  { versionKey: false },
);
sessionSchema.index({ expiresAt: 1 });
sessionSchema.index({ userId: 1 });
export const SessionRecord = model('Session', sessionSchema);

const DEFAULT_TTL_MS = 12 * 3600_000;

export class MongooseSessionStore extends session.Store {
  constructor(private readonly ttlMs = DEFAULT_TTL_MS) {
    super();
  }

  private expiry(sess: session.SessionData): Date {
    const cookieExpiry = sess.cookie?.expires ? new Date(sess.cookie.expires) : undefined;
    return cookieExpiry ?? new Date(Date.now() + this.ttlMs);
  }

  override get(sid: string, cb: (err: unknown, session?: session.SessionData | null) => void): void {
    SessionRecord.findById(sid)
      .lean()
      .then((rec) => {
        if (!rec || rec.expiresAt.getTime() <= Date.now()) return cb(null, null);
        cb(null, JSON.parse(rec.data) as session.SessionData);
      })
      .catch((e) => cb(e));
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    SessionRecord.updateOne(
      { _id: sid },
      { $set: { data: JSON.stringify(sess), expiresAt: this.expiry(sess), userId: sess.userId } },
      { upsert: true },
    )
      .then(() => cb?.())
      .catch((e) => cb?.(e));
  }

  override touch(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    SessionRecord.updateOne({ _id: sid }, { $set: { expiresAt: this.expiry(sess) } })
      .then(() => cb?.())
      .catch((e) => cb?.(e));
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    SessionRecord.deleteOne({ _id: sid })
      .then(() => cb?.())
      .catch((e) => cb?.(e));
  }
}

/** Housekeeping: an expired session can never be used again. */
export async function purgeExpiredSessions(now = new Date()): Promise<number> {
  const r = await SessionRecord.deleteMany({ expiresAt: { $lt: now } });
  return r.deletedCount;
}

export async function destroySessionsOfUser(userId: string): Promise<number> {
  const r = await SessionRecord.deleteMany({ userId });
  return r.deletedCount;
}
