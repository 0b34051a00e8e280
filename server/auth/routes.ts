import type { Response } from 'express';
import { z } from 'zod';
import { NO_CONTENT } from '../platform/http/api-router';
import type { ApiRouter } from '../platform/http/api-router';
import { signInRateLimit } from '../platform/http/rate-limit';
import { getUser, mfaStatus, userResponse } from '../users/service';
import { changePasswordBody, mfaCodeBody, resetConfirmBody, resetRequestBody, tokenBody } from './schema';
import * as auth from './service';
import {
  mfaEnrolmentResponse,
  mfaStatusResponse,
  messageResponse,
  recoveryCodesResponse,
  signInResponse,
  ssoSettingsResponse,
  tokenResponse,
} from './responses';

const ADMIN = ['admin'] as const;
const noContent = (res: Response): undefined => {
  res.status(204).end();
  return undefined;
};

export function registerAuthApi(api: ApiRouter): void {
  api
    .tag('Auth', 'Signing in and out, second factor, passwords, own sessions, bank SSO')
    .add({
      method: 'post',
      path: '/auth/token',
      operationId: 'issueToken',
      response: tokenResponse,
      errors: [401, 429],
      summary:
        'Exchange e-mail and password (and totp or recoveryCode where a second factor is needed) for a bearer token; 401 mfa_required without one',
      access: 'public',
      before: [signInRateLimit()],
      body: tokenBody,
      handler: ({ body }) =>
        auth.issueToken(body.email, body.password, { totp: body.totp, recoveryCode: body.recoveryCode }),
    })
    .add({
      method: 'delete',
      path: '/auth/token',
      operationId: 'revokeToken',
      response: NO_CONTENT,
      summary: 'Revoke the token used for this request',
      access: 'authenticated',
      status: 204,
      handler: async ({ user, res }) => {
        await auth.revokeCurrentToken(user);
        return noContent(res);
      },
    })
    .add({
      method: 'get',
      path: '/me',
      operationId: 'getMe',
      response: userResponse,
      summary: 'The signed-in user',
      access: 'authenticated',
      handler: ({ user }) => getUser(user.id),
    })
    // ---- second factor
    .add({
      method: 'get',
      path: '/auth/mfa',
      operationId: 'getMfaStatus',
      response: mfaStatusResponse,
      summary: 'Whether the caller has a second factor, and how many recovery codes are left',
      access: 'authenticated',
      handler: async ({ user }) => ({ ...(await mfaStatus(user.id)), required: auth.mfaRequiredForRole(user.role) }),
    })
    .add({
      method: 'post',
      path: '/auth/mfa/enroll',
      operationId: 'startMfaEnrolment',
      response: mfaEnrolmentResponse,
      summary: 'Start enrolling a TOTP authenticator: the secret and its otpauth:// URL (for a QR code)',
      access: 'authenticated',
      handler: ({ user }) => auth.startEnrolment(user),
    })
    .add({
      method: 'post',
      path: '/auth/mfa/verify',
      operationId: 'confirmMfaEnrolment',
      response: recoveryCodesResponse,
      summary: 'Confirm enrolment with the first code; answers the 10 single-use recovery codes (shown only here)',
      access: 'authenticated',
      body: mfaCodeBody,
      handler: ({ user, body }) => auth.confirmEnrolment(user, body.code),
    })
    .add({
      method: 'post',
      path: '/auth/mfa/recovery-codes',
      operationId: 'renewRecoveryCodes',
      response: recoveryCodesResponse,
      summary: 'New recovery codes (the old ones stop working)',
      access: 'authenticated',
      handler: ({ user }) => auth.renewRecoveryCodes(user),
    })
    .add({
      method: 'post',
      path: '/auth/mfa/disable',
      operationId: 'disableOwnMfa',
      response: NO_CONTENT,
      errors: [403],
      summary: 'Turn the own second factor off (with a current code); refused where the role requires one',
      access: 'authenticated',
      body: mfaCodeBody,
      status: 204,
      handler: async ({ user, body, res }) => {
        await auth.disableOwnMfa(user, body.code);
        return noContent(res);
      },
    })
    .add({
      method: 'delete',
      path: '/users/:userId/mfa',
      operationId: 'resetUserMfa',
      response: NO_CONTENT,
      summary: "Clear a user's second factor (lost authenticator and codes); they enrol again at the next sign-in",
      access: ADMIN,
      status: 204,
      handler: async ({ user, params, res }) => {
        await auth.resetUserMfa(user, params.userId);
        return noContent(res);
      },
    })
    // ---- passwords
    .add({
      method: 'post',
      path: '/auth/password',
      operationId: 'changeOwnPassword',
      response: NO_CONTENT,
      errors: [403, 429],
      summary: 'Change the own password (current + new); every other session and token of the user ends',
      access: 'authenticated',
      body: changePasswordBody,
      status: 204,
      handler: async ({ user, body, res }) => {
        await auth.changePassword(user, body.current, body.password, { tokenId: user.tokenId });
        return noContent(res);
      },
    })
    .add({
      method: 'post',
      path: '/auth/password-reset',
      operationId: 'requestPasswordReset',
      response: messageResponse,
      errors: [429],
      summary: 'E-mail a single-use reset link (valid 1 h) to the address if it belongs to someone; always 202',
      access: 'public',
      body: resetRequestBody,
      status: 202,
      handler: async ({ body }) => {
        auth.requestPasswordReset(body.email);
        return { message: 'If the address belongs to an account, a reset link is on its way.' };
      },
    })
    .add({
      method: 'post',
      path: '/auth/password-reset/confirm',
      operationId: 'confirmPasswordReset',
      response: NO_CONTENT,
      errors: [429],
      summary: 'Set a new password with the token of a reset link (used once); every session and token ends',
      access: 'public',
      body: resetConfirmBody,
      status: 204,
      handler: async ({ body, res }) => {
        await auth.confirmPasswordReset(body.token, body.password);
        return noContent(res);
      },
    })
    // ---- own sessions
    .add({
      method: 'get',
      path: '/auth/sessions',
      operationId: 'listOwnSignIns',
      response: z.array(signInResponse),
      summary: "The caller's web sessions and API tokens that still work",
      access: 'authenticated',
      handler: ({ user }) => auth.listOwnSignIns(user),
    })
    .add({
      method: 'delete',
      path: '/auth/sessions/:sessionId',
      operationId: 'endOwnSignIn',
      response: NO_CONTENT,
      summary: 'End one of the own sessions or tokens (id from GET /auth/sessions)',
      access: 'authenticated',
      status: 204,
      handler: async ({ user, params, res }) => {
        await auth.endOwnSignIn(user, params.sessionId);
        return noContent(res);
      },
    })
    // ---- a bank's own sign-in provider
    .add({
      method: 'get',
      path: '/banks/:bankId/sso',
      operationId: 'getBankSso',
      response: ssoSettingsResponse,
      summary: "The bank's OpenID Connect settings (never the client secret) and the redirect URI to register",
      access: ADMIN,
      handler: ({ params }) => auth.getSsoSettings(params.bankId),
    })
    .add({
      method: 'put',
      path: '/banks/:bankId/sso',
      operationId: 'putBankSso',
      response: ssoSettingsResponse,
      summary: "Set the bank's OpenID Connect provider (issuer, client id and secret) and whether it is required",
      access: ADMIN,
      body: auth.ssoSettingsBody,
      handler: ({ user, params, body }) => auth.putSsoSettings(user, params.bankId, body),
    })
    .add({
      method: 'delete',
      path: '/banks/:bankId/sso',
      operationId: 'removeBankSso',
      response: NO_CONTENT,
      summary: "Turn sign-in with the bank's provider off",
      access: ADMIN,
      status: 204,
      handler: async ({ user, params, res }) => {
        await auth.removeSsoSettings(user, params.bankId);
        return noContent(res);
      },
    });
}
