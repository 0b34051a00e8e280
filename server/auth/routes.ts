import type { ApiRouter } from '../platform/http/api-router';
import { signInRateLimit } from '../platform/http/rate-limit';
import { getUser } from '../users/service';
import { tokenBody } from './schema';
import { revokeToken } from '../users/service';
import { issueToken } from './service';
import { tokenResponse } from './responses';
import { userResponse } from '../users/service';
import { NO_CONTENT } from '../platform/http/api-router';

export function registerAuthApi(api: ApiRouter): void {
  api
    .tag('Auth', 'Signing in and out with bearer tokens')
    .add({
      method: 'post',
      path: '/auth/token',
      operationId: 'issueToken',
      response: tokenResponse,
      errors: [401, 429],
      summary: 'Exchange e-mail and password for a bearer token',
      access: 'public',
      before: [signInRateLimit()],
      body: tokenBody,
      handler: ({ body }) => issueToken(body.email, body.password),
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
        if (user.tokenId) await revokeToken(user.tokenId);
        res.status(204).end();
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
    });
}
