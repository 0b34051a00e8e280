import crypto from 'node:crypto';
import { Types } from 'mongoose';
import type { Principal, Role, Scope } from '../platform/access';
import { config } from '../platform/config';
import { UnauthorizedError } from '../platform/errors';
import { User, type UserDoc } from '../users/model';
import { ApiToken } from './model';
import { dummyPasswordHash, verifyPassword } from './password';

export function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

export function toPrincipal(u: UserDoc, tokenId?: string): Principal {
  const raw = u.toObject().scope;
  const scope = raw ? { ...raw } : undefined;
  return {
    id: String(u._id),
    email: u.email,
    name: u.name,
    role: u.role as Role,
    bankId: u.bankId ? String(u.bankId) : undefined,
    scope: scope as Scope | undefined,
    locale: (u.locale as 'zh' | 'en' | undefined) ?? undefined,
    tokenId,
    ...(u.role === 'auditor' ? { auditorCode: u.auditorCode ?? '' } : {}),
  };
}

/** Checks e-mail and password; the same error and about the same time for an unknown e-mail as a wrong password. */
export async function checkCredentials(email: string, password: string): Promise<UserDoc> {
  const user = await User.findOne({ email: email.trim().toLowerCase() });
  if (!user || !user.active) {
    await verifyPassword(password, await dummyPasswordHash());
    throw new UnauthorizedError('Invalid e-mail or password', 'invalid_credentials');
  }
  if (!(await verifyPassword(password, user.passwordHash))) {
    throw new UnauthorizedError('Invalid e-mail or password', 'invalid_credentials');
  }
  return user;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  user: { id: string; email: string; name: string; role: string; bankId: string | null };
}

export async function issueToken(email: string, password: string): Promise<IssuedToken> {
  const user = await checkCredentials(email, password);
  const _id = new Types.ObjectId();
  const token = `mst_${_id.toHexString()}_${crypto.randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + config().TOKEN_TTL_HOURS * 3600_000);
  await ApiToken.create({ _id, tokenHash: sha256(token), userId: user._id, expiresAt });
  return {
    token,
    expiresAt,
    user: {
      id: String(user._id),
      email: user.email,
      name: user.name,
      role: user.role,
      bankId: user.bankId ? String(user.bankId) : null,
    },
  };
}

/**
 * A token names its own record ("mst_<record id>_<secret>"), so it is found through the _id index
 * (FerretDB 1.24 scans the whole collection for any other filter) and then proven by its hash.
 */
const TOKEN_FORMAT = /^mst_([0-9a-f]{24})_[A-Za-z0-9_-]{43}$/;

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * Tokens checked in the last AUTH_CACHE_SECONDS, by hash: an auditor's phone sends a burst of requests
 * (autosaves, uploads, submit), and each would otherwise read its token and its user again.
 */
const recentTokens = new Map<string, { principal: Principal; userId: string; until: number }>();
const RECENT_LIMIT = 10_000;

function cachedPrincipal(hash: string): Principal | undefined {
  const hit = recentTokens.get(hash);
  if (hit && hit.until > Date.now()) return hit.principal;
  if (hit) recentTokens.delete(hash);
  return undefined;
}

function remember(hash: string, principal: Principal, expiresAt: Date): void {
  const ttl = config().AUTH_CACHE_SECONDS * 1000;
  if (ttl <= 0) return;
  if (recentTokens.size >= RECENT_LIMIT) recentTokens.delete(recentTokens.keys().next().value as string);
  recentTokens.set(hash, { principal, userId: principal.id, until: Math.min(Date.now() + ttl, expiresAt.getTime()) });
}

/** A user's tokens are checked afresh from now on (after a revocation, deactivation or any edit). */
export function forgetTokensOf(match: { userId?: string; tokenId?: string }): void {
  for (const [hash, e] of recentTokens) {
    if (e.userId === match.userId || (match.tokenId && e.principal.tokenId === match.tokenId))
      recentTokens.delete(hash);
  }
}

export async function principalFromToken(token: string): Promise<Principal> {
  const hash = sha256(token);
  const cached = cachedPrincipal(hash);
  if (cached) return cached;
  const id = TOKEN_FORMAT.exec(token)?.[1];
  const rec = id ? await ApiToken.findById(id).lean() : null;
  if (!rec || !sameHash(rec.tokenHash, hash) || rec.revokedAt || rec.expiresAt.getTime() <= Date.now()) {
    throw new UnauthorizedError('Invalid, expired or revoked token', 'invalid_token');
  }
  const user = await User.findById(rec.userId);
  if (!user || !user.active) throw new UnauthorizedError('Invalid, expired or revoked token', 'invalid_token');
  const principal = toPrincipal(user, String(rec._id));
  remember(hash, principal, rec.expiresAt);
  return principal;
}

/**
 * The session's user, unless deactivated or signed out everywhere since the session began. Checking the
 * epoch (rather than only deleting sessions) also covers a request in flight re-saving a deleted session.
 */
export async function principalFromUserId(userId: string, sessionEpoch: number): Promise<Principal | undefined> {
  const user = await User.findById(userId);
  if (!user || !user.active || (user.authEpoch ?? 0) !== sessionEpoch) return undefined;
  return toPrincipal(user);
}

export async function revokeToken(tokenId: string): Promise<void> {
  await ApiToken.updateOne({ _id: tokenId, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
  forgetTokensOf({ tokenId });
}

export async function revokeAllTokensOf(userId: string): Promise<number> {
  const r = await ApiToken.updateMany({ userId, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
  forgetTokensOf({ userId });
  return r.modifiedCount;
}

// ---- for publishing (the job registry's housekeeping)

/** Expired API tokens are kept a week past expiry, so "why was I signed out" can still be answered. */
export const TOKENS_KEPT_AFTER_EXPIRY_DAYS = 7;

export async function purgeExpiredTokens(now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - TOKENS_KEPT_AFTER_EXPIRY_DAYS * 86400_000);
  const r = await ApiToken.deleteMany({ expiresAt: { $lt: before } });
  return r.deletedCount;
}
