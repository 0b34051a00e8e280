import { IANAZone } from 'luxon';
import crypto from 'node:crypto';
import { Types } from 'mongoose';
import { hashPassword } from './password';
import { forgetTokensOf, revokeAllTokensOf } from './tokens';
import type { Principal, Role, Scope } from '../platform/access';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { destroySessionsOfUser } from '../platform/db/session-store';
import { bankExists, existingBranchCodes, regionExists } from '../banks/service';
import * as audit from '../audit/service';
import { assertPasswordAllowed } from './credentials';
import { ApiToken, User, type UserDoc } from './model';
import type { CreateUserInput, UpdateUserInput } from './schema';

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  bankId: string | null;
  scope: Scope | null;
  auditorCode?: string;
  locale?: string;
  active: boolean;
}

type UserLike = {
  _id: unknown;
  email: string;
  name: string;
  role: string;
  bankId?: unknown;
  scope?: unknown;
  auditorCode?: string | null;
  locale?: string | null;
  active: boolean;
};

export function userView(u: UserLike): UserView {
  return {
    id: String(u._id),
    email: u.email,
    name: u.name,
    role: u.role as Role,
    bankId: u.bankId ? String(u.bankId) : null,
    scope: (u.scope as Scope | undefined) ?? null,
    ...(u.auditorCode ? { auditorCode: u.auditorCode } : {}),
    ...(u.locale ? { locale: u.locale } : {}),
    active: u.active,
  };
}

/** A bank user's scope must name a region or branches that exist in that bank. */
async function checkScope(bankId: string, scope: Scope | undefined): Promise<void> {
  if (!(await bankExists(bankId))) throw new ValidationError([{ field: 'bankId', message: 'no such bank' }]);
  if (!scope || scope.type === 'bank') return;
  if (scope.type === 'region') {
    if (!(await regionExists(bankId, scope.region)))
      throw new ValidationError([
        { field: 'scope.region', message: `no branch of this bank is in region "${scope.region}"` },
      ]);
    return;
  }
  const found = await existingBranchCodes(bankId, scope.branchCodes);
  const missing = scope.branchCodes.filter((c) => !found.has(c));
  if (missing.length)
    throw new ValidationError(
      missing.map((c) => ({ field: 'scope.branchCodes', message: `no branch "${c}" in this bank` })),
    );
}

async function newAuditorCode(): Promise<string> {
  for (;;) {
    const code = `A-${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
    if (!(await User.exists({ auditorCode: code }))) return code;
  }
}

/** Creates a user; `actor` is who did it (none for the first admin from the environment). */
export async function createUser(input: CreateUserInput, actor?: Principal): Promise<UserView> {
  assertPasswordAllowed(input.password, input.email);
  const bankRole = input.role === 'bank_manager' || input.role === 'hr';
  const scope: Scope | undefined = bankRole ? (input.scope ?? { type: 'bank' }) : undefined;
  if (bankRole) await checkScope(input.bankId as string, scope);
  if (await User.exists({ email: input.email }))
    throw new ConflictError('A user with this e-mail already exists', 'duplicate', [
      { field: 'email', message: 'already exists' },
    ]);
  const doc = await User.create({
    email: input.email,
    name: input.name,
    role: input.role,
    passwordHash: await hashPassword(input.password),
    bankId: bankRole ? new Types.ObjectId(input.bankId) : undefined,
    scope,
    locale: input.locale,
    auditorCode: input.role === 'auditor' ? await newAuditorCode() : undefined,
  });
  const view = userView(doc.toObject());
  await audit.record({
    action: 'user.created',
    actor: actor ?? null,
    target: { type: 'user', id: view.id, label: view.email },
    bankId: view.bankId,
    after: auditedFields(view),
    ...(actor
      ? {}
      : { note: 'created without a signed-in actor (first admin from the environment, seed or command line)' }),
  });
  return view;
}

/** What the audit log keeps of a user before and after a change (never a secret). */
function auditedFields(u: UserView) {
  return {
    email: u.email,
    name: u.name,
    role: u.role,
    bankId: u.bankId,
    scope: u.scope,
    active: u.active,
    ...(u.locale ? { locale: u.locale } : {}),
  };
}

export async function listUsers(filter: { bankId?: string; role?: Role } = {}): Promise<UserView[]> {
  const q: Record<string, unknown> = {};
  if (filter.bankId) q.bankId = filter.bankId;
  if (filter.role) q.role = filter.role;
  return (await User.find(q).sort({ role: 1, email: 1 }).lean()).map(userView);
}

export async function getUser(id: string): Promise<UserView> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('User');
  const u = await User.findById(id).lean();
  if (!u) throw new NotFoundError('User');
  return userView(u);
}

/** Deactivating a user or changing the password signs them out everywhere (tokens and sessions). */
export async function updateUser(actor: Principal, id: string, input: UpdateUserInput): Promise<UserView> {
  const current = await User.findById(Types.ObjectId.isValid(id) ? id : null);
  if (!current) throw new NotFoundError('User');
  if (input.password) assertPasswordAllowed(input.password, current.email);
  if (input.scope) {
    if (!current.bankId) throw new ValidationError([{ field: 'scope', message: 'audit-firm users have no scope' }]);
    await checkScope(String(current.bankId), input.scope);
  }
  if (input.active === false && String(current._id) === actor.id)
    throw new ConflictError('You cannot deactivate yourself', 'self_deactivation');
  const set: Record<string, unknown> = {};
  if (input.name) set.name = input.name;
  if (input.scope) set.scope = input.scope;
  if (input.locale) set.locale = input.locale;
  if (input.active !== undefined) set.active = input.active;
  if (input.password) set.passwordHash = await hashPassword(input.password);
  const signOutEverywhere = input.active === false || Boolean(input.password);
  const u = await User.findByIdAndUpdate(
    id,
    { $set: set, ...(signOutEverywhere ? { $inc: { authEpoch: 1 } } : {}) },
    { new: true },
  ).lean();
  if (!u) throw new NotFoundError('User');
  forgetTokensOf({ userId: id });
  if (signOutEverywhere) {
    await revokeAllTokensOf(id);
    await destroySessionsOfUser(id);
  }
  const after = userView(u);
  await audit.record({
    action: 'user.updated',
    actor,
    target: { type: 'user', id, label: after.email },
    bankId: after.bankId,
    before: auditedFields(userView(current.toObject())),
    after: auditedFields(after),
    ...(input.password ? { note: 'password set by an admin; every sign-in of the user ended' } : {}),
  });
  return after;
}

/** First start: with no admin at all, one is created from ADMIN_EMAIL / ADMIN_PASSWORD. */
/**
 * The zone one reads times in (issue 20: "or the viewer's zone if they choose"): an IANA zone, or
 * null for the bank's zone again. One's own preference only; it changes no figure anywhere.
 */
export async function setOwnTimezone(p: Principal, zone: string | null): Promise<void> {
  if (zone !== null && !IANAZone.isValidZone(zone))
    throw new ValidationError([{ field: 'timezone', message: 'must be a time zone such as Europe/London' }]);
  await User.updateOne({ _id: p.id }, zone ? { $set: { timezone: zone } } : { $unset: { timezone: 1 } });
}

export async function ensureFirstAdmin(
  email: string | undefined,
  password: string | undefined,
): Promise<UserView | undefined> {
  if (await User.exists({ role: 'admin' })) return undefined;
  if (!email || !password) return undefined;
  const holder = await User.findOne({ email: email.toLowerCase() }, { role: 1 }).lean();
  if (holder)
    throw new ConflictError(
      `ADMIN_EMAIL ${email} already belongs to a ${holder.role} user; choose another e-mail for the first admin`,
      'admin_email_taken',
    );
  try {
    return await createUser({ email: email.toLowerCase(), password, name: 'Administrator', role: 'admin' });
  } catch (e) {
    if (e instanceof ValidationError)
      throw new ValidationError(
        e.details,
        `ADMIN_PASSWORD is refused: ${e.details.map((d) => d.message).join('; ')}`,
        'admin_password_refused',
      );
    // Another instance starting at the same moment created it first: that is the outcome we wanted.
    if (e instanceof ConflictError && (await User.exists({ role: 'admin', email: email.toLowerCase() })))
      return undefined;
    throw e;
  }
}

/** The first admin ever created (the audit firm's operations account). */
export async function firstAdmin(): Promise<UserView | null> {
  const u = await User.findOne({ role: 'admin' }).sort({ _id: 1 }).lean();
  return u ? userView(u) : null;
}

/** The user an e-mail signs in as (any state: the caller checks `active` and the password). */
export async function findUserForSignIn(email: string): Promise<UserDoc | null> {
  return User.findOne({ email: email.trim().toLowerCase() });
}

/** The user record by id (any state: the caller checks `active` and the auth epoch). */
export async function findUserById(id: string): Promise<UserDoc | null> {
  return Types.ObjectId.isValid(id) ? User.findById(id) : null;
}

/** API tokens are kept a week past expiry, so "why was I signed out" can still be answered. */
export const TOKENS_KEPT_AFTER_EXPIRY_DAYS = 7;

export async function purgeExpiredTokens(now: Date, keepDays = TOKENS_KEPT_AFTER_EXPIRY_DAYS): Promise<number> {
  const r = await ApiToken.deleteMany({ expiresAt: { $lt: new Date(now.getTime() - keepDays * 86400_000) } });
  return r.deletedCount;
}

export { dummyPasswordHash, hashPassword, verifyPassword } from './password';
export { isCommonPassword, MIN_PASSWORD_LENGTH, passwordProblem } from './password-policy';
export {
  assertPasswordAllowed,
  changeOwnPassword,
  createResetToken,
  purgeOldResetTokens,
  resetLinkToSend,
  resetPasswordWithToken,
  RESET_VALID_MS,
  type KeepSignIn,
} from './credentials';
export {
  acceptRecoveryCode,
  acceptTotp,
  confirmMfaEnrolment,
  hasMfa,
  mfaStatus,
  RECOVERY_CODE_COUNT,
  removeMfa,
  renewRecoveryCodes,
  startMfaEnrolment,
  type MfaStatus,
} from './mfa';
export {
  activeTokensOf,
  createToken,
  revokeOwnToken,
  type TokenSummary,
  forgetTokensOf,
  principalFromToken,
  principalFromUserId,
  revokeAllTokensOf,
  revokeToken,
  sha256,
  toPrincipal,
} from './tokens';
export type { UserDoc } from './model';

/**
 * Ties a user to the identity the bank's provider vouched for at the first SSO sign-in; later sign-ins
 * must come from the same identity (an e-mail address moved to another person at the provider does not
 * move the account with it). Returns false when the user is tied to another identity.
 */
export async function linkSsoIdentity(userId: string, issuer: string, subject: string): Promise<boolean> {
  const u = await User.findById(userId, { sso: 1 }).lean();
  if (!u) return false;
  if (u.sso) return u.sso.issuer === issuer && u.sso.subject === subject;
  const r = await User.updateOne(
    { _id: userId, sso: { $exists: false } },
    { $set: { sso: { issuer, subject, linkedAt: new Date() } } },
  );
  if (r.modifiedCount === 1) return true;
  return linkSsoIdentity(userId, issuer, subject);
}

// ---- for visits and assignments

/** Auditor pseudonyms by user id ('' for a user without one); a single user is read by _id alone. */
export async function auditorCodesOf(ids: string[]): Promise<Map<string, string>> {
  const users =
    ids.length === 1
      ? [await User.findById(ids[0], { auditorCode: 1 }).lean()].filter((u) => u !== null)
      : ids.length
        ? await User.find({ _id: { $in: ids } }, { auditorCode: 1 }).lean()
        : [];
  return new Map(users.map((u) => [String(u._id), u.auditorCode ?? '']));
}

/** Active auditors among these e-mail addresses: e-mail → user id (an assignment import names auditors so). */
export async function activeAuditorIdsByEmail(emails: string[]): Promise<Map<string, string>> {
  const users = await User.find({ email: { $in: emails }, role: 'auditor', active: true }, { email: 1 }).lean();
  return new Map(users.map((u) => [u.email, String(u._id)]));
}

/** What the API answers for a user, for other features' routes (`GET /me`). */
export { userResponse } from './responses';
/** Active auditors among these user ids: id → pseudonym (a calibration round invites them). */
export async function activeAuditorsAmong(ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const users = await User.find({ _id: { $in: ids }, role: 'auditor', active: true }, { auditorCode: 1 }).lean();
  return new Map(users.map((u) => [String(u._id), u.auditorCode ?? '']));
}
