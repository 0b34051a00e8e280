import crypto from 'node:crypto';
import { Types } from 'mongoose';
import type { Principal, Role, Scope } from '../platform/access';
import { BoundedCache } from '../platform/cache';
import { config } from '../platform/config';
import { UnauthorizedError } from '../platform/errors';
import { ApiToken, User, type UserDoc } from './model';

/**
 * A user's credentials besides the password: API bearer tokens (only their SHA-256 is stored) and
 * the principal a token or a web session stands for. Signing in (auth/) issues them; editing a
 * user here revokes them.
 */
export function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

export function toPrincipal(u: UserDoc, tokenId?: string, restricted?: Principal['restricted']): Principal {
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
    ...(u.timezone ? { timezone: u.timezone } : {}),
    tokenId,
    ...(restricted ? { restricted } : {}),
    ...(u.role === 'auditor' ? { auditorCode: u.auditorCode ?? '' } : {}),
  };
}

export interface TokenOptions {
  /** 'mfa_enrollment': a token that may only enrol a second factor, for a user who must have one. */
  purpose?: 'mfa_enrollment';
  ttlMs?: number;
  label?: string;
}

/** A new bearer token for a user whose credentials were checked: "mst_<record id>_<secret>". */
export async function createToken(
  userId: Types.ObjectId | string,
  options: TokenOptions = {},
): Promise<{ token: string; expiresAt: Date; id: string }> {
  const _id = new Types.ObjectId();
  const token = `mst_${_id.toHexString()}_${crypto.randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + (options.ttlMs ?? config().TOKEN_TTL_HOURS * 3600_000));
  await ApiToken.create({
    _id,
    tokenHash: sha256(token),
    userId,
    expiresAt,
    purpose: options.purpose,
    label: options.label,
  });
  return { token, expiresAt, id: _id.toHexString() };
}

/**
 * A token names its own record ("mst_<record id>_<secret>"): the record is read by its id, the
 * cheapest read there is, and the token then proven by comparing hashes in constant time.
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
const recentTokens = new BoundedCache<string, { principal: Principal; userId: string }>({
  limit: 10_000,
  ttlMs: () => config().AUTH_CACHE_SECONDS * 1000,
});

/** A user's tokens are checked afresh from now on (after a revocation, deactivation or any edit). */
export function forgetTokensOf(match: { userId?: string; tokenId?: string }): void {
  recentTokens.deleteWhere(
    (_hash, e) => e.userId === match.userId || Boolean(match.tokenId && e.principal.tokenId === match.tokenId),
  );
}

export async function principalFromToken(token: string): Promise<Principal> {
  const hash = sha256(token);
  const cached = recentTokens.get(hash);
  if (cached) return cached.principal;
  const id = TOKEN_FORMAT.exec(token)?.[1];
  const rec = id ? await ApiToken.findById(id).lean() : null;
  if (!rec || !sameHash(rec.tokenHash, hash) || rec.revokedAt || rec.expiresAt.getTime() <= Date.now()) {
    throw new UnauthorizedError('Invalid, expired or revoked token', 'invalid_token');
  }
  const user = await User.findById(rec.userId);
  if (!user || !user.active) throw new UnauthorizedError('Invalid, expired or revoked token', 'invalid_token');
  const principal = toPrincipal(user, String(rec._id), rec.purpose === 'mfa_enrollment' ? 'mfa_enrollment' : undefined);
  // Last use, to the minute: enough for "my sessions", and not a write on every request.
  if (!rec.lastUsedAt || Date.now() - rec.lastUsedAt.getTime() > 60_000)
    void ApiToken.updateOne({ _id: rec._id }, { $set: { lastUsedAt: new Date() } }).catch(() => undefined);
  recentTokens.set(hash, { principal, userId: principal.id }, rec.expiresAt.getTime());
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

export async function revokeAllTokensOf(userId: string, exceptTokenId?: string): Promise<number> {
  const r = await ApiToken.updateMany(
    { userId, revokedAt: { $exists: false }, ...(exceptTokenId ? { _id: { $ne: exceptTokenId } } : {}) },
    { $set: { revokedAt: new Date() } },
  );
  forgetTokensOf({ userId });
  return r.modifiedCount;
}

export interface TokenSummary {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  label: string | null;
  current: boolean;
}

/** A user's API tokens that still work (for "my sessions"). */
export async function activeTokensOf(userId: string, currentTokenId?: string): Promise<TokenSummary[]> {
  const rows = await ApiToken.find({ userId, revokedAt: { $exists: false }, expiresAt: { $gt: new Date() } }).lean();
  return rows
    .filter((t) => t.purpose !== 'mfa_enrollment')
    .map((t) => ({
      id: String(t._id),
      createdAt: (t as { createdAt?: Date }).createdAt ?? t._id.getTimestamp(),
      expiresAt: t.expiresAt,
      lastUsedAt: t.lastUsedAt ?? null,
      label: t.label ?? null,
      current: String(t._id) === currentTokenId,
    }))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/** Revokes one of a user's own tokens; false when the user has no such live token. */
export async function revokeOwnToken(userId: string, tokenId: string): Promise<boolean> {
  if (!Types.ObjectId.isValid(tokenId)) return false;
  const r = await ApiToken.updateOne(
    { _id: tokenId, userId, revokedAt: { $exists: false } },
    { $set: { revokedAt: new Date() } },
  );
  forgetTokensOf({ tokenId });
  return r.modifiedCount === 1;
}
