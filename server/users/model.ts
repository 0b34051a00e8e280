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
    active: { type: Boolean, default: true },
    // Bumped to end every web session of the user (password reset, deactivation).
    authEpoch: { type: Number, default: 0 },
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
  },
  { timestamps: true },
);
apiTokenSchema.index({ tokenHash: 1 }, { unique: true });
apiTokenSchema.index({ userId: 1 });

export type ApiTokenAttrs = InferSchemaType<typeof apiTokenSchema>;
export const ApiToken = model('ApiToken', apiTokenSchema);
