import crypto from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { Types } from 'mongoose';
import { now } from '../platform/clock';
import { config } from '../platform/config';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { seal, unseal } from '../platform/secrets';
import { User } from './model';

/**
 * The second factor (SPEC §14): TOTP as RFC 6238 (30 s steps, 6 digits, SHA-1 — what every
 * authenticator app reads from the QR code) and 10 single-use recovery codes. The TOTP secret is
 * stored sealed; recovery codes only as hashes (each has 80 random bits, so a fast hash suffices).
 * Every check reads the clock through platform/clock, so tests run it at a fixed time. A code is
 * accepted one step either side of now (clock drift) and never twice: the accepted step is written
 * with a conditional update, so two requests racing with the same code cannot both pass.
 */
const SEAL_PURPOSE = 'totp-secret';
const ENROLMENT_VALID_MS = 15 * 60_000;
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i

export interface MfaStatus {
  enabled: boolean;
  enabledAt?: string;
  recoveryCodesLeft: number;
}

const epochSeconds = () => Math.floor(now().getTime() / 1000);

async function loadUser(userId: string) {
  const u = Types.ObjectId.isValid(userId) ? await User.findById(userId, { email: 1, mfa: 1 }).lean() : null;
  if (!u) throw new NotFoundError('User');
  return u;
}

export async function mfaStatus(userId: string): Promise<MfaStatus> {
  const { mfa } = await loadUser(userId);
  return mfa?.secret
    ? { enabled: true, enabledAt: mfa.enabledAt?.toISOString(), recoveryCodesLeft: mfa.recoveryCodes?.length ?? 0 }
    : { enabled: false, recoveryCodesLeft: 0 };
}

export function hasMfa(u: { mfa?: { secret?: string | null } | null }): boolean {
  return Boolean(u.mfa?.secret);
}

/**
 * Starts enrolment: a new secret, waiting for its first code; the current factor stays until then.
 * With `reuse`, a secret shown in the last few minutes is shown again (a reloaded page must not
 * invalidate the QR code the person has just scanned).
 */
export async function startMfaEnrolment(
  userId: string,
  opts: { reuse?: boolean } = {},
): Promise<{ secret: string; otpauthUrl: string }> {
  const u = await loadUser(userId);
  const uri = (secret: string) => ({
    secret,
    otpauthUrl: generateURI({ issuer: config().MFA_ISSUER, label: u.email, secret }),
  });
  const pending = u.mfa?.pendingSecret;
  if (opts.reuse && pending && u.mfa?.pendingAt && now().getTime() - u.mfa.pendingAt.getTime() < ENROLMENT_VALID_MS / 2)
    return uri(unseal(pending, SEAL_PURPOSE));
  const secret = generateSecret({ length: 20 });
  await User.updateOne(
    { _id: u._id },
    { $set: { 'mfa.pendingSecret': seal(secret, SEAL_PURPOSE), 'mfa.pendingAt': now() } },
  );
  return uri(secret);
}

/** The time step a code matches (one step of drift either way), or null. */
async function matchingStep(secret: string, code: string, afterStep?: number | null): Promise<number | null> {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const result = await verify({
    secret,
    token,
    epoch: epochSeconds(),
    epochTolerance: 30,
    ...(typeof afterStep === 'number' ? { afterTimeStep: afterStep } : {}),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from(crypto.randomBytes(16), (b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

const normalizeRecovery = (code: string) => code.toLowerCase().replace(/[^a-z0-9]/g, '');
const recoveryHash = (userId: string, code: string) =>
  crypto
    .createHash('sha256')
    .update(`${userId}:${normalizeRecovery(code)}`)
    .digest('hex');

/** Confirms enrolment with a code from the new secret: the factor is on, and the recovery codes are shown once. */
export async function confirmMfaEnrolment(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
  const u = await loadUser(userId);
  const pending = u.mfa?.pendingSecret;
  if (!pending || !u.mfa?.pendingAt || now().getTime() - u.mfa.pendingAt.getTime() > ENROLMENT_VALID_MS)
    throw new ConflictError('No enrolment is waiting: start it again', 'mfa_enrolment_not_started');
  const step = await matchingStep(unseal(pending, SEAL_PURPOSE), code);
  if (step === null)
    throw new ValidationError(
      [{ field: 'code', message: 'is not the current code of the authenticator' }],
      'Wrong code',
      'mfa_code_invalid',
    );
  const recoveryCodes = newRecoveryCodes();
  const r = await User.updateOne(
    { _id: u._id, 'mfa.pendingSecret': pending },
    {
      $set: {
        mfa: {
          secret: pending,
          enabledAt: now(),
          lastStep: step,
          recoveryCodes: recoveryCodes.map((c) => recoveryHash(userId, c)),
          recoveryCodesUsed: 0,
        },
      },
    },
  );
  if (r.matchedCount === 0)
    throw new ConflictError('The enrolment changed meanwhile: start it again', 'mfa_enrolment_not_started');
  return { recoveryCodes };
}

/** A TOTP code at sign-in: true once per code; a replayed or wrong code is false. */
export async function acceptTotp(userId: string, code: string): Promise<boolean> {
  const u = await loadUser(userId);
  if (!u.mfa?.secret) return false;
  const last = u.mfa.lastStep ?? null;
  const step = await matchingStep(unseal(u.mfa.secret, SEAL_PURPOSE), code, last);
  if (step === null) return false;
  const r = await User.updateOne(
    { _id: u._id, 'mfa.secret': u.mfa.secret, $or: [{ 'mfa.lastStep': { $lt: step } }, { 'mfa.lastStep': null }] },
    { $set: { 'mfa.lastStep': step } },
  );
  return r.modifiedCount === 1;
}

/** A recovery code at sign-in: true once per code (it is pulled out of the list as it is used). */
export async function acceptRecoveryCode(userId: string, code: string): Promise<boolean> {
  if (normalizeRecovery(code).length !== 16) return false;
  const hash = recoveryHash(userId, code);
  const r = await User.updateOne(
    { _id: userId, 'mfa.recoveryCodes': hash },
    { $pull: { 'mfa.recoveryCodes': hash }, $inc: { 'mfa.recoveryCodesUsed': 1 } },
  );
  return r.modifiedCount === 1;
}

/** New recovery codes (the old ones stop working). */
export async function renewRecoveryCodes(userId: string): Promise<{ recoveryCodes: string[] }> {
  const u = await loadUser(userId);
  if (!u.mfa?.secret) throw new ConflictError('No second factor is set up', 'mfa_not_enabled');
  const recoveryCodes = newRecoveryCodes();
  await User.updateOne(
    { _id: u._id },
    { $set: { 'mfa.recoveryCodes': recoveryCodes.map((c) => recoveryHash(userId, c)), 'mfa.recoveryCodesUsed': 0 } },
  );
  return { recoveryCodes };
}

/** Removes the second factor (the user's own choice where the role allows it, or an admin's reset). */
export async function removeMfa(userId: string): Promise<boolean> {
  const r = await User.updateOne({ _id: userId, mfa: { $exists: true } }, { $unset: { mfa: 1 } });
  return r.modifiedCount === 1;
}
