import crypto from 'node:crypto';
import type { Principal, Role, Scope } from '../core/access';
import { config } from '../core/config';
import { UnauthorizedError } from '../core/errors';
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
  const token = `mst_${crypto.randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + config().TOKEN_TTL_HOURS * 3600_000);
  await ApiToken.create({ tokenHash: sha256(token), userId: user._id, expiresAt });
  return {
    token,
    expiresAt,
    user: { id: String(user._id), email: user.email, name: user.name, role: user.role, bankId: user.bankId ? String(user.bankId) : null },
  };
}

export async function principalFromToken(token: string): Promise<Principal> {
  const rec = await ApiToken.findOne({ tokenHash: sha256(token) }).lean();
  if (!rec || rec.revokedAt || rec.expiresAt.getTime() <= Date.now()) {
    throw new UnauthorizedError('Invalid, expired or revoked token', 'invalid_token');
  }
  const user = await User.findById(rec.userId);
  if (!user || !user.active) throw new UnauthorizedError('Invalid, expired or revoked token', 'invalid_token');
  return toPrincipal(user, String(rec._id));
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
}

export async function revokeAllTokensOf(userId: string): Promise<number> {
  const r = await ApiToken.updateMany({ userId, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
  return r.modifiedCount;
}
