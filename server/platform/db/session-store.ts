import crypto from 'node:crypto';
import session from 'express-session';
import { Schema, model } from 'mongoose';

/**
 * Web sessions live in the database so they survive restarts and are shared by app instances.
 * Own store rather than connect-mongo: FerretDB 1.24 has no TTL indexes, and connect-mongo would
 * close the shared Mongoose client on shutdown. Expired sessions are ignored on read and purged in bulk.
 *
 * A record exists only once a session holds something (a sign-in, or a sign-in half done): the app
 * saves no session for anonymous requests (saveUninitialized: false, and CSRF tokens of anonymous
 * forms live in a cookie, platform/http/csrf.ts). Besides the session data, a record keeps what its
 * owner sees on "my sessions": when and how it signed in, last use, address and browser. It never
 * outlives the sign-in's absolute lifetime (`absoluteUntil`), however active it is.
 */
const sessionSchema = new Schema(
  {
    _id: { type: String },
    data: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    userId: { type: String },
    signedInAt: { type: Date },
    lastSeenAt: { type: Date },
    ip: { type: String },
    userAgent: { type: String },
    method: { type: String },
  },
  { versionKey: false },
);
sessionSchema.index({ expiresAt: 1 });
sessionSchema.index({ userId: 1 });
export const SessionRecord = model('Session', sessionSchema);

const DEFAULT_TTL_MS = 12 * 3600_000;

/** What a signed-in session carries about its sign-in (set by auth/ at sign-in). */
export interface SignInFacts {
  signedInAt: number;
  /** The latest moment the session may be used, whatever its activity. */
  absoluteUntil: number;
  method: 'password' | 'sso';
  mfa: boolean;
  ip?: string;
  userAgent?: string;
}

declare module 'express-session' {
  interface SessionData {
    signIn?: SignInFacts;
  }
}

export class MongooseSessionStore extends session.Store {
  constructor(private readonly ttlMs = DEFAULT_TTL_MS) {
    super();
  }

  private expiry(sess: session.SessionData): Date {
    const cookieExpiry = sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : Date.now() + this.ttlMs;
    return new Date(Math.min(cookieExpiry, sess.signIn?.absoluteUntil ?? Infinity));
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
    const s = sess.signIn;
    SessionRecord.updateOne(
      { _id: sid },
      {
        $set: {
          data: JSON.stringify(sess),
          expiresAt: this.expiry(sess),
          userId: sess.userId,
          lastSeenAt: new Date(),
          ...(s
            ? {
                signedInAt: new Date(s.signedInAt),
                ip: s.ip,
                userAgent: s.userAgent,
                method: s.mfa ? `${s.method}+mfa` : s.method,
              }
            : {}),
        },
      },
      { upsert: true },
    )
      .then(() => cb?.())
      .catch((e) => cb?.(e));
  }

  override touch(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    SessionRecord.updateOne({ _id: sid }, { $set: { expiresAt: this.expiry(sess), lastSeenAt: new Date() } })
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

/** Ends every session of a user, except the one named (the session that asked for it). */
export async function destroySessionsOfUser(userId: string, exceptSid?: string): Promise<number> {
  const r = await SessionRecord.deleteMany(exceptSid ? { userId, _id: { $ne: exceptSid } } : { userId });
  return r.deletedCount;
}

/**
 * A session as its owner sees it. `handle` names it without revealing the session id (the id is the
 * cookie's secret; the handle is a hash of it, useless as a cookie).
 */
export interface SessionSummary {
  handle: string;
  signedInAt: Date | null;
  lastSeenAt: Date | null;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  method: string | null;
  current: boolean;
}

export const sessionHandle = (sid: string): string =>
  crypto.createHash('sha256').update(`session:${sid}`).digest('base64url').slice(0, 22);

export async function sessionsOfUser(userId: string, currentSid?: string): Promise<SessionSummary[]> {
  const rows = await SessionRecord.find({ userId, expiresAt: { $gt: new Date() } }).lean();
  return rows
    .map((r) => ({
      handle: sessionHandle(String(r._id)),
      signedInAt: r.signedInAt ?? null,
      lastSeenAt: r.lastSeenAt ?? null,
      expiresAt: r.expiresAt,
      ip: r.ip ?? null,
      userAgent: r.userAgent ?? null,
      method: r.method ?? null,
      current: r._id === currentSid,
    }))
    .sort((a, b) => (b.lastSeenAt?.getTime() ?? 0) - (a.lastSeenAt?.getTime() ?? 0));
}

/** Ends one of a user's sessions by its handle; false when the user has no such session. */
export async function destroySessionByHandle(userId: string, handle: string): Promise<boolean> {
  const rows = await SessionRecord.find({ userId }, { _id: 1 }).lean();
  const hit = rows.find((r) => sessionHandle(String(r._id)) === handle);
  if (!hit) return false;
  await SessionRecord.deleteOne({ _id: hit._id, userId });
  return true;
}
