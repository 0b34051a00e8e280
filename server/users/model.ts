import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { ROLES } from '../platform/access';

export const LOCALES = ['zh', 'en'] as const;

const scopeSchema = new Schema(
  {
    type: { type: String, enum: ['bank', 'region', 'branches'], required: true },
    region: { type: String },
    branchCodes: { type: [String], default: undefined },
  },
  { _id: false },
);

const mfaSchema = new Schema(
  {
    // Set once enrolment is confirmed with a code.
    secret: { type: String },
    enabledAt: { type: Date },
    // The last TOTP time step accepted: a code is never accepted twice.
    lastStep: { type: Number },
    // Hashes of the recovery codes not used yet; a used one is pulled out.
    recoveryCodes: { type: [String], default: undefined },
    recoveryCodesUsed: { type: Number },
    // An enrolment started but not yet confirmed.
    pendingSecret: { type: String },
    pendingAt: { type: Date },
  },
  { _id: false },
);

const ssoLinkSchema = new Schema(
  {
    issuer: { type: String, required: true },
    subject: { type: String, required: true },
    linkedAt: { type: Date, required: true },
  },
  { _id: false },
);

const userSchema = new Schema(
  {
    email: { type: String, required: true, lowercase: true, trim: true },
    name: { type: String, required: true },
    passwordHash: { type: String, required: true },
    role: { type: String, enum: ROLES, required: true },
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank' },
    scope: { type: scopeSchema },
    // Bank users see auditors only by this pseudonym, never by name or e-mail.
    auditorCode: { type: String },
    locale: { type: String, enum: LOCALES },
    // The zone the user chose to read times in (issue 20); none: their bank's zone, as every page says.
    timezone: { type: String },
    active: { type: Boolean, default: true },
    // Bumped to end every web session of the user (password reset, deactivation).
    authEpoch: { type: Number, default: 0 },
    passwordChangedAt: { type: Date },
    // The second factor (users/mfa.ts); secrets sealed (platform/secrets.ts), recovery codes hashed.
    mfa: { type: mfaSchema, default: undefined },
    // The bank's identity provider account this user signed in with first (issuer + subject).
    sso: { type: ssoLinkSchema, default: undefined },
  },
  { timestamps: true },
);
userSchema.index({ email: 1 }, { unique: true });
userSchema.index({ bankId: 1, role: 1 });

export type UserAttrs = InferSchemaType<typeof userSchema>;
export type UserDoc = HydratedDocument<UserAttrs>;
export const User = model('User', userSchema);

/** API bearer tokens; only the SHA-256 of a token is stored, so a database leak yields no usable token. */
const apiTokenSchema = new Schema(
  {
    tokenHash: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date },
    lastUsedAt: { type: Date },
    label: { type: String },
    // 'mfa_enrollment': a short-lived token that may only enrol a second factor (auth/middleware.ts).
    purpose: { type: String },
  },
  { timestamps: true },
);
apiTokenSchema.index({ tokenHash: 1 }, { unique: true });
apiTokenSchema.index({ userId: 1 });

export type ApiTokenAttrs = InferSchemaType<typeof apiTokenSchema>;
export const ApiToken = model('ApiToken', apiTokenSchema);

/**
 * Password-reset links: only the SHA-256 of the link's token is looked up; the token itself is kept
 * sealed until the e-mail is sent (the outbox composes at sending time), and used once.
 */
const passwordResetSchema = new Schema(
  {
    tokenHash: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    sealedToken: { type: String },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date },
  },
  { timestamps: true },
);
passwordResetSchema.index({ tokenHash: 1 }, { unique: true });
passwordResetSchema.index({ expiresAt: 1 });
export const PasswordReset = model('PasswordReset', passwordResetSchema, 'password_resets');
