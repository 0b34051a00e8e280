import { Schema, model } from 'mongoose';

/**
 * A bank's own OpenID Connect provider (SPEC §14), one record per bank (`_id` = the bank's id): kept
 * apart from the bank record so that no reader of banks ever holds the client secret, which is
 * stored sealed (platform/secrets.ts) and never returned.
 */
const bankSsoSchema = new Schema(
  {
    _id: { type: String, required: true },
    issuer: { type: String, required: true },
    clientId: { type: String, required: true },
    clientSecret: { type: String, required: true },
    // Passwords are refused for the bank's users.
    required: { type: Boolean, required: true, default: false },
    updatedBy: { type: String },
  },
  { timestamps: true, versionKey: false },
);
export const BankSso = model('BankSso', bankSsoSchema, 'bank_sso');

/**
 * A sign-in sent to a bank's provider and not yet back: `_id` is the hash of its `state`; the PKCE
 * verifier and the nonce wait here (sealed) for the provider's answer, which is accepted once
 * (`usedAt` set by a conditional update) and only within ten minutes.
 */
const ssoAttemptSchema = new Schema(
  {
    _id: { type: String, required: true },
    bankId: { type: String, required: true },
    sealed: { type: String, required: true },
    next: { type: String, required: true, default: '/' },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date },
  },
  { versionKey: false },
);
ssoAttemptSchema.index({ expiresAt: 1 });
export const SsoAttempt = model('SsoAttempt', ssoAttemptSchema, 'sso_attempts');
