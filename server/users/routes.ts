import type { ApiRouter } from '../platform/http/api-router';
import { createUserBody, listUsersQuery, updateUserBody } from './schema';
import * as users from './service';

const ADMIN = ['admin'] as const;

export function registerUserApi(api: ApiRouter): void {
  api
    .add({
      method: 'get',
      path: '/users',
      summary: 'List users',
      access: ADMIN,
      query: listUsersQuery,
      handler: ({ query }) => users.listUsers(query),
    })
    .add({
      method: 'post',
      path: '/users',
      summary: 'Create a user',
      access: ADMIN,
      body: createUserBody,
      status: 201,
      handler: ({ user, body }) => users.createUser(body, user),
    })
    .add({
      method: 'get',
      path: '/users/:userId',
      summary: 'Get a user',
      access: ADMIN,
      handler: ({ params }) => users.getUser(params.userId),
    })
    .add({
      method: 'patch',
      path: '/users/:userId',
      summary: 'Update, deactivate or reset a user',
      access: ADMIN,
      body: updateUserBody,
      handler: ({ user, params, body }) => users.updateUser(user, params.userId, body),
    });
}
