import { Schema, model, type InferSchemaType } from 'mongoose';

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
