import { z } from 'zod';
import * as audit from '../../audit/service';
import { bankExists } from '../../banks/service';
import type { Principal } from '../../platform/access';
import { BoundedCache } from '../../platform/cache';
import { config } from '../../platform/config';
import { NotFoundError, ValidationError } from '../../platform/errors';
import { seal, unseal } from '../../platform/secrets';
import { BankSso } from './model';

/** A bank's OIDC settings: issuer, client id and secret, and whether passwords are refused for its users. */
export const ssoSettingsBody = z
  .object({
    issuer: z.string().trim().url().max(500),
    clientId: z.string().trim().min(1).max(500),
    // May be left out when one is stored already (the settings page does not show it again).
    clientSecret: z.string().min(1).max(2000).optional(),
    required: z.boolean().default(false),
  })
  .strict();
export type SsoSettingsInput = z.infer<typeof ssoSettingsBody>;

export interface SsoSettingsView {
  bankId: string;
  configured: boolean;
  issuer: string | null;
  clientId: string | null;
  hasClientSecret: boolean;
  required: boolean;
  redirectUri: string;
  updatedAt?: string;
}

const SEAL_PURPOSE = 'oidc-client-secret';
/** The one address every bank's provider sends its users back to. */
export const ssoRedirectUri = () => `${config().publicUrl.replace(/\/$/, '')}/login/sso/callback`;

/** "Is SSO required for this bank" is read at every password sign-in of a bank user: kept briefly. */
const requiredCache = new BoundedCache<string, boolean>({ limit: 1000, ttlMs: 30_000 });

function view(
  bankId: string,
  s: { issuer: string; clientId: string; required: boolean; updatedAt?: Date } | null,
): SsoSettingsView {
  if (!s)
    return {
      bankId,
      configured: false,
      issuer: null,
      clientId: null,
      hasClientSecret: false,
      required: false,
      redirectUri: ssoRedirectUri(),
    };
  return {
    bankId,
    configured: true,
    issuer: s.issuer,
    clientId: s.clientId,
    hasClientSecret: true,
    required: s.required,
    redirectUri: ssoRedirectUri(),
    ...(s.updatedAt ? { updatedAt: s.updatedAt.toISOString() } : {}),
  };
}

export async function getSsoSettings(bankId: string): Promise<SsoSettingsView> {
  if (!(await bankExists(bankId))) throw new NotFoundError('Bank');
  return view(bankId, await BankSso.findById(bankId).lean());
}

/** Outside production an issuer may be plain http on this machine (tests, a local provider); never otherwise. */
function checkIssuer(issuer: string): void {
  const u = new URL(issuer);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol === 'https:' || (u.protocol === 'http:' && local && config().NODE_ENV !== 'production')) return;
  throw new ValidationError([{ field: 'issuer', message: 'must be an https:// address' }]);
}

export async function putSsoSettings(
  actor: Principal,
  bankId: string,
  input: SsoSettingsInput,
): Promise<SsoSettingsView> {
  if (!(await bankExists(bankId))) throw new NotFoundError('Bank');
  checkIssuer(input.issuer);
  const before = await BankSso.findById(bankId).lean();
  if (!input.clientSecret && !before)
    throw new ValidationError([{ field: 'clientSecret', message: 'required when none is stored yet' }]);
  const saved = await BankSso.findOneAndUpdate(
    { _id: bankId },
    {
      $set: {
        issuer: input.issuer.replace(/\/$/, ''),
        clientId: input.clientId,
        required: input.required,
        updatedBy: actor.id,
        ...(input.clientSecret ? { clientSecret: seal(input.clientSecret, SEAL_PURPOSE) } : {}),
      },
    },
    { upsert: true, new: true },
  ).lean();
  requiredCache.delete(bankId);
  const shown = (s: typeof before) => s && { issuer: s.issuer, clientId: s.clientId, required: s.required };
  await audit.record({
    action: 'bank.sso_changed',
    actor,
    target: { type: 'bank', id: bankId },
    bankId,
    before: shown(before),
    after: { ...shown(saved), clientSecretChanged: Boolean(input.clientSecret) },
  });
  return view(bankId, saved);
}

export async function removeSsoSettings(actor: Principal, bankId: string): Promise<void> {
  if (!(await bankExists(bankId))) throw new NotFoundError('Bank');
  const before = await BankSso.findOneAndDelete({ _id: bankId }).lean();
  requiredCache.delete(bankId);
  if (before)
    await audit.record({
      action: 'bank.sso_changed',
      actor,
      target: { type: 'bank', id: bankId },
      bankId,
      before: { issuer: before.issuer, clientId: before.clientId, required: before.required },
      after: null,
      note: 'sign-in with the bank’s provider turned off',
    });
}

export async function ssoRequiredFor(bankId: string): Promise<boolean> {
  const hit = requiredCache.get(bankId);
  if (hit !== undefined) return hit;
  const s = await BankSso.findById(bankId, { required: 1 }).lean();
  const required = Boolean(s?.required);
  requiredCache.set(bankId, required);
  return required;
}

/** The settings with the secret opened, for talking to the provider; `version` changes with every change of them. */
export async function providerSettings(
  bankId: string,
): Promise<{ issuer: string; clientId: string; clientSecret: string; version: number } | null> {
  const s = await BankSso.findById(bankId).lean();
  if (!s) return null;
  const version = (s as { updatedAt?: Date }).updatedAt?.getTime() ?? 0;
  return { issuer: s.issuer, clientId: s.clientId, clientSecret: unseal(s.clientSecret, SEAL_PURPOSE), version };
}
