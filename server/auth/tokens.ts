import * as audit from '../audit/service';
import type { Principal } from '../platform/access';
import * as users from '../users/service';
import {
  actorOf,
  checkCredentials,
  MfaRequiredError,
  passSecondFactor,
  secondFactorNeed,
  signedIn,
  type SecondFactor,
} from './sign-in';

/**
 * API tokens (POST /auth/token): e-mail and password, then — for a user with a second factor, or a
 * role that requires one — a TOTP code or a recovery code in the same request. A user whose role
 * requires a factor not yet set up gets a 401 `mfa_required` that carries a short-lived token good
 * only for enrolling one (POST /auth/mfa/enroll, then /auth/mfa/verify), then signs in with a code.
 */
export interface IssuedToken {
  token: string;
  expiresAt: Date;
  user: { id: string; email: string; name: string; role: string; bankId: string | null };
}

const ENROLMENT_TOKEN_MS = 15 * 60_000;

export async function issueToken(email: string, password: string, second: SecondFactor = {}): Promise<IssuedToken> {
  const user = await checkCredentials(email, password);
  const need = secondFactorNeed(user);
  if (need === 'enroll') {
    const enrol = await users.createToken(user._id, { purpose: 'mfa_enrollment', ttlMs: ENROLMENT_TOKEN_MS });
    throw new MfaRequiredError(
      'Your role requires a second factor: enrol one with the enrolment token, then sign in with a code',
      [
        {
          field: 'totp',
          message: 'enrolment required',
          enrollmentToken: enrol.token,
          expiresAt: enrol.expiresAt.toISOString(),
        },
      ],
    );
  }
  if (need === 'verify') {
    if (!second.totp && !second.recoveryCode)
      throw new MfaRequiredError(
        'A second factor is required: send totp (or recoveryCode) with the e-mail and password',
        [{ field: 'totp', message: 'required' }],
      );
    await passSecondFactor(user, second);
  }
  const { token, expiresAt, id } = await users.createToken(user._id);
  await signedIn(user, 'password', need === 'verify', 'api');
  await audit.record({
    action: 'token.issued',
    actor: actorOf(user),
    target: { type: 'token', id, label: user.email },
    bankId: user.bankId ? String(user.bankId) : null,
    after: { expiresAt: expiresAt.toISOString(), mfa: need === 'verify' },
  });
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

export async function revokeCurrentToken(p: Principal): Promise<void> {
  if (!p.tokenId) return;
  await users.revokeToken(p.tokenId);
  await audit.record({
    action: 'token.revoked',
    actor: { id: p.id, email: p.email, role: p.role, bankId: p.bankId ?? null },
    target: { type: 'token', id: p.tokenId, label: p.email },
    bankId: p.bankId ?? null,
  });
}
