import crypto from 'node:crypto';
import { bankByCode } from '../../banks/service';
import { AppError, NotFoundError } from '../../platform/errors';
import { seal, unseal } from '../../platform/secrets';
import { findUserForSignIn, linkSsoIdentity, type UserDoc } from '../../users/service';
import { signInFailed } from '../sign-in';
import { SsoAttempt } from './model';
import { authorizationStart, exchangeCode, SsoProviderError } from './oidc';
import { providerSettings } from './settings';

/**
 * Signing in with a bank's own provider (authorization code + PKCE). The user must exist already,
 * belong to that bank, be active, and be named by an e-mail address the provider says it verified.
 * A `state` is good for one answer within ten minutes, and only in the browser that started it (its
 * value also sits in a cookie there): a replayed or forwarded answer signs nobody in.
 */
const ATTEMPT_VALID_MS = 10 * 60_000;
const SEAL_PURPOSE = 'oidc-attempt';
const stateKey = (state: string) => crypto.createHash('sha256').update(`sso-state:${state}`).digest('base64url');

export class SsoSignInError extends AppError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(401, 'sso_failed', message, [{ message: reason }]);
  }
}

/** The bank a typed code names, if it has a provider set up (404 otherwise: nothing is revealed). */
export async function ssoBankByCode(code: string): Promise<{ id: string; code: string; name: string }> {
  const bank = await bankByCode(code);
  if (!bank || !(await providerSettings(bank.id))) throw new NotFoundError('Sign-in provider');
  return bank;
}

/** Starts a sign-in at the bank's provider: where to send the browser, and the state to keep in its cookie. */
export async function startSsoSignIn(bankId: string, next: string): Promise<{ url: string; state: string }> {
  let start: Awaited<ReturnType<typeof authorizationStart>>;
  try {
    start = await authorizationStart(bankId);
  } catch (e) {
    if (e instanceof SsoProviderError) throw new SsoSignInError('provider_unavailable', e.message);
    throw e;
  }
  await SsoAttempt.create({
    _id: stateKey(start.state),
    bankId,
    sealed: seal(JSON.stringify({ v: start.codeVerifier, n: start.nonce }), SEAL_PURPOSE),
    next,
    expiresAt: new Date(Date.now() + ATTEMPT_VALID_MS),
  });
  return { url: start.url, state: start.state };
}

async function refuse(reason: string, message: string, user: UserDoc | null, email: string): Promise<never> {
  await signInFailed(reason, user, email, 'sso');
  throw new SsoSignInError(reason, message);
}

/** The provider's answer (the callback URL) in the browser holding `browserState`: the user it signs in, and where to go. */
export async function finishSsoSignIn(
  callbackUrl: URL,
  browserState: string | undefined,
): Promise<{ user: UserDoc; next: string }> {
  const state = callbackUrl.searchParams.get('state') ?? '';
  const providerError = callbackUrl.searchParams.get('error');
  if (providerError) return refuse('provider_error', `The sign-in service answered: ${providerError}`, null, '');
  if (
    !state ||
    !browserState ||
    state.length !== browserState.length ||
    !crypto.timingSafeEqual(Buffer.from(state), Buffer.from(browserState))
  )
    return refuse('state_mismatch', 'This sign-in was not started in this browser; start it again', null, '');
  const attempt = await SsoAttempt.findOneAndUpdate(
    { _id: stateKey(state), usedAt: { $exists: false }, expiresAt: { $gt: new Date() } },
    { $set: { usedAt: new Date() } },
    { new: true },
  ).lean();
  if (!attempt)
    return refuse('state_used_or_expired', 'This sign-in was already used or has expired; start it again', null, '');
  const { v: codeVerifier, n: nonce } = JSON.parse(unseal(attempt.sealed, SEAL_PURPOSE)) as { v: string; n: string };
  let identity: Awaited<ReturnType<typeof exchangeCode>>;
  try {
    identity = await exchangeCode(attempt.bankId, callbackUrl, { state, codeVerifier, nonce });
  } catch (e) {
    if (e instanceof SsoProviderError) return refuse('provider_answer_refused', e.message, null, '');
    throw e;
  }
  const email = identity.email?.trim().toLowerCase() ?? '';
  if (!email || !identity.emailVerified)
    return refuse('email_not_verified', 'Your bank’s sign-in service did not confirm your e-mail address', null, email);
  const user = await findUserForSignIn(email);
  if (!user || !user.active || String(user.bankId ?? '') !== attempt.bankId)
    return refuse(
      'unknown_user',
      'No account on this platform matches your e-mail address; ask your administrator',
      user && String(user.bankId ?? '') === attempt.bankId ? user : null,
      email,
    );
  if (!(await linkSsoIdentity(String(user._id), identity.issuer, identity.subject)))
    return refuse(
      'identity_mismatch',
      'This account is tied to another identity at your bank’s sign-in service',
      user,
      email,
    );
  return { user, next: attempt.next };
}

/** Housekeeping: sign-ins that never came back. */
export async function purgeOldSsoAttempts(now: Date): Promise<number> {
  const r = await SsoAttempt.deleteMany({ expiresAt: { $lt: now } });
  return r.deletedCount;
}
