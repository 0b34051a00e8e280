import { z } from 'zod';
import { ROLES } from '../platform/access';
import { component, out } from '../platform/http/api-schema';

export const tokenResponse = component(
  'IssuedToken',
  z.object({
    token: z.string().openapi({ description: 'Send as `Authorization: Bearer <token>`' }),
    expiresAt: out.time,
    user: z.object({
      id: out.id,
      email: z.string(),
      name: z.string(),
      role: z.enum(ROLES),
      bankId: out.id.nullable(),
    }),
  }),
);

export const mfaStatusResponse = component(
  'MfaStatus',
  z.object({
    enabled: z.boolean(),
    enabledAt: out.time.optional(),
    recoveryCodesLeft: z.number().int(),
    required: z.boolean().openapi({ description: "Whether the caller's role must have a second factor" }),
  }),
);

export const mfaEnrolmentResponse = component(
  'MfaEnrolment',
  z.object({
    secret: z.string().openapi({ description: 'The TOTP secret in base32, shown only here' }),
    otpauthUrl: z.string().openapi({ description: 'otpauth:// URL for a QR code' }),
  }),
);

export const recoveryCodesResponse = component(
  'RecoveryCodes',
  z.object({ recoveryCodes: z.array(z.string()).openapi({ description: 'Single-use codes, shown only here' }) }),
);

export const messageResponse = component('Message', z.object({ message: z.string() }));

export const signInResponse = component(
  'SignIn',
  z.object({
    id: z.string().openapi({ description: '`web:<session>` or `token:<id>`' }),
    kind: z.enum(['web', 'token']),
    createdAt: out.time.nullable(),
    lastSeenAt: out.time.nullable(),
    expiresAt: out.time,
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    method: z.string().nullable(),
    current: z.boolean(),
  }),
);

export const ssoSettingsResponse = component(
  'SsoSettings',
  z.object({
    bankId: out.id,
    configured: z.boolean(),
    issuer: z.string().nullable(),
    clientId: z.string().nullable(),
    hasClientSecret: z.boolean().openapi({ description: 'The secret itself is never answered' }),
    required: z.boolean(),
    redirectUri: z.string(),
    updatedAt: out.time.optional(),
  }),
);
