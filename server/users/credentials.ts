import crypto from 'node:crypto';
import { Types } from 'mongoose';
import { now } from '../platform/clock';
import { destroySessionsOfUser } from '../platform/db/session-store';
import { NotFoundError, ValidationError } from '../platform/errors';
import { seal, unseal } from '../platform/secrets';
import { PasswordReset, User } from './model';
import { hashPassword, verifyPassword } from './password';
import { PASSWORD_MESSAGES, passwordProblem } from './password-policy';
import { forgetTokensOf, revokeAllTokensOf, sha256 } from './tokens';

/**
 * Passwords as their owners change them: their own change (current + new), and the single-use reset
 * link. Either ends the user's other sign-ins: every web session but the one that asked, every API
 * token but the one that asked (SPEC §14 "sessions ended on change").
 */
export function assertPasswordAllowed(password: string, email: string, field = 'password'): void {
  const problem = passwordProblem(password, { email });
  if (problem) throw new ValidationError([{ field, message: PASSWORD_MESSAGES[problem] }]);
}

/** What a change keeps: the web session or the API token the change was made with. */
export interface KeepSignIn {
  sessionId?: string;
  tokenId?: string;
}

/** Sets a new password and ends the user's other sign-ins; returns the new auth epoch (for the session that stays). */
async function setPassword(userId: string, password: string, keep: KeepSignIn): Promise<number> {
  const u = await User.findByIdAndUpdate(
    userId,
    { $set: { passwordHash: await hashPassword(password), passwordChangedAt: now() }, $inc: { authEpoch: 1 } },
    { new: true },
  ).lean();
  if (!u) throw new NotFoundError('User');
  await revokeAllTokensOf(userId, keep.tokenId);
  await destroySessionsOfUser(userId, keep.sessionId);
  forgetTokensOf({ userId });
  return u.authEpoch ?? 0;
}

export async function changeOwnPassword(
  userId: string,
  current: string,
  next: string,
  keep: KeepSignIn,
): Promise<{ authEpoch: number }> {
  const u = Types.ObjectId.isValid(userId) ? await User.findById(userId, { email: 1, passwordHash: 1 }).lean() : null;
  if (!u) throw new NotFoundError('User');
  if (!(await verifyPassword(current, u.passwordHash)))
    throw new ValidationError(
      [{ field: 'current', message: 'is not the current password' }],
      'The current password is not right',
      'invalid_current_password',
    );
  assertPasswordAllowed(next, u.email);
  if (await verifyPassword(next, u.passwordHash))
    throw new ValidationError([{ field: 'password', message: 'must differ from the current password' }]);
  return { authEpoch: await setPassword(userId, next, keep) };
}

// ---- reset links

export const RESET_VALID_MS = 3600_000;
const SEAL_PURPOSE = 'password-reset-link';

/** A new single-use reset token for a user, valid one hour; its record id names it to the mail outbox. */
export async function createResetToken(userId: string): Promise<{ id: string }> {
  const token = crypto.randomBytes(32).toString('base64url');
  const rec = await PasswordReset.create({
    tokenHash: sha256(token),
    userId,
    sealedToken: seal(token, SEAL_PURPOSE),
    expiresAt: new Date(now().getTime() + RESET_VALID_MS),
  });
  return { id: String(rec._id) };
}

/** The token of a reset e-mail about to be sent, with its user's e-mail; null once used or expired (nothing to send). */
export async function resetLinkToSend(
  id: string,
): Promise<{ token: string; email: string; name: string; locale?: string; expiresAt: Date } | null> {
  const rec = Types.ObjectId.isValid(id) ? await PasswordReset.findById(id).lean() : null;
  if (!rec || rec.usedAt || !rec.sealedToken || rec.expiresAt.getTime() <= now().getTime()) return null;
  const u = await User.findById(rec.userId, { email: 1, name: 1, locale: 1 }).lean();
  if (!u) return null;
  return {
    token: unseal(rec.sealedToken, SEAL_PURPOSE),
    email: u.email,
    name: u.name,
    locale: u.locale ?? undefined,
    expiresAt: rec.expiresAt,
  };
}

const INVALID_LINK = () =>
  new ValidationError(
    [{ field: 'token', message: 'this reset link is invalid, expired or already used' }],
    'Invalid reset link',
    'invalid_reset_token',
  );

/** Uses a reset token once and sets the new password; every sign-in of the user ends. Returns the user id. */
export async function resetPasswordWithToken(
  token: string,
  password: string,
): Promise<{ userId: string; email: string }> {
  const hash = sha256(token);
  const rec = await PasswordReset.findOne({ tokenHash: hash }).lean();
  if (!rec || rec.usedAt || rec.expiresAt.getTime() <= now().getTime()) throw INVALID_LINK();
  const u = await User.findById(rec.userId, { email: 1, active: 1 }).lean();
  if (!u || !u.active) throw INVALID_LINK();
  assertPasswordAllowed(password, u.email);
  // Used once: only one request can turn usedAt from unset to set.
  const used = await PasswordReset.updateOne(
    { _id: rec._id, usedAt: { $exists: false } },
    { $set: { usedAt: now() }, $unset: { sealedToken: 1 } },
  );
  if (used.modifiedCount !== 1) throw INVALID_LINK();
  await setPassword(String(u._id), password, {});
  // Other links of the same user stop working too.
  await PasswordReset.updateMany(
    { userId: u._id, usedAt: { $exists: false } },
    { $set: { usedAt: now() }, $unset: { sealedToken: 1 } },
  );
  return { userId: String(u._id), email: u.email };
}

/** Housekeeping: reset links a day past their expiry. */
export async function purgeOldResetTokens(at: Date): Promise<number> {
  const r = await PasswordReset.deleteMany({ expiresAt: { $lt: new Date(at.getTime() - 86400_000) } });
  return r.deletedCount;
}
