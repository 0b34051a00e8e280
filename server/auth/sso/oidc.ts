import * as client from 'openid-client';
import { BoundedCache } from '../../platform/cache';
import { config } from '../../platform/config';
import { providerSettings, ssoRedirectUri } from './settings';

/**
 * Talking to a bank's OpenID Connect provider with openid-client: discovery (the provider's metadata
 * must name exactly the configured issuer), the authorization URL with PKCE (S256), state and nonce,
 * and the code exchange, which checks the ID token's signature, issuer, audience, expiry, nonce and
 * the state. The client authenticates with client_secret_basic. Discovered configurations are kept
 * ten minutes per bank and settings version (a change of settings is a new key).
 */
export class SsoProviderError extends Error {}

const providers = new BoundedCache<string, client.Configuration>({ limit: 200, ttlMs: 10 * 60_000 });

/** Plain http to a provider only on this machine outside production (settings.ts refuses it otherwise). */
const insecureAllowed = (issuer: string) => config().NODE_ENV !== 'production' && issuer.startsWith('http://');

export async function providerFor(bankId: string): Promise<client.Configuration> {
  const s = await providerSettings(bankId);
  if (!s) throw new SsoProviderError('this bank has no sign-in provider set up');
  const key = `${bankId}:${s.version}`;
  const hit = providers.get(key);
  if (hit) return hit;
  try {
    const cfg = await client.discovery(
      new URL(s.issuer),
      s.clientId,
      undefined,
      client.ClientSecretBasic(s.clientSecret),
      { timeout: 10, ...(insecureAllowed(s.issuer) ? { execute: [client.allowInsecureRequests] } : {}) },
    );
    providers.set(key, cfg);
    return cfg;
  } catch (e) {
    throw new SsoProviderError(`the provider at ${s.issuer} could not be used: ${(e as Error).message}`);
  }
}

export interface AuthorizationStart {
  url: string;
  state: string;
  codeVerifier: string;
  nonce: string;
}

export async function authorizationStart(bankId: string): Promise<AuthorizationStart> {
  const cfg = await providerFor(bankId);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: ssoRedirectUri(),
    scope: 'openid email profile',
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: url.href, state, codeVerifier, nonce };
}

export interface ProviderIdentity {
  issuer: string;
  subject: string;
  email?: string;
  emailVerified: boolean;
}

/** Exchanges the code the provider sent back; the identity it vouches for (e-mail from the ID token or userinfo). */
export async function exchangeCode(
  bankId: string,
  callbackUrl: URL,
  expected: { state: string; codeVerifier: string; nonce: string },
): Promise<ProviderIdentity> {
  const cfg = await providerFor(bankId);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(cfg, callbackUrl, {
      pkceCodeVerifier: expected.codeVerifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
  } catch (e) {
    throw new SsoProviderError(`the provider's answer was refused: ${(e as Error).message}`);
  }
  const claims = tokens.claims();
  if (!claims) throw new SsoProviderError('the provider sent no ID token');
  let email = typeof claims.email === 'string' ? claims.email : undefined;
  let verified = claims.email_verified === true;
  if (!email && tokens.access_token) {
    const info = await client.fetchUserInfo(cfg, tokens.access_token, claims.sub);
    email = typeof info.email === 'string' ? info.email : undefined;
    verified = info.email_verified === true;
  }
  return { issuer: claims.iss, subject: claims.sub, email, emailVerified: verified };
}
