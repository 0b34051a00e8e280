import type { ApiRouter } from '../platform/http/api-router';
import { signInRateLimit } from '../platform/http/rate-limit';
import { getUser } from '../users/service';
import { tokenBody } from './schema';
import { revokeToken } from '../users/service';
import { issueToken } from './service';

export function registerAuthApi(api: ApiRouter): void {
  api
    .add({
      method: 'post',
      path: '/auth/token',
      summary: 'Exchange e-mail and password for a bearer token',
      access: 'public',
      before: [signInRateLimit()],
      body: tokenBody,
      handler: ({ body }) => issueToken(body.email, body.password),
    })
    .add({
      method: 'delete',
      path: '/auth/token',
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
      summary: 'The signed-in user',
      access: 'authenticated',
      handler: ({ user }) => getUser(user.id),
    });
}
