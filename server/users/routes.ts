import type { ApiRouter } from '../platform/http/api-router';
import { createUserBody, listUsersQuery, updateUserBody } from './schema';
import * as users from './service';
import { userResponse } from './responses';
import { z } from 'zod';

const ADMIN = ['admin'] as const;

export function registerUserApi(api: ApiRouter): void {
  api
    .tag('Users', 'User accounts, roles and bank scopes (admin)')
    .add({
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      response: z.array(userResponse),
      summary: 'List users',
      access: ADMIN,
      query: listUsersQuery,
      handler: ({ query }) => users.listUsers(query),
    })
    .add({
      method: 'post',
      path: '/users',
      operationId: 'createUser',
      response: userResponse,
      summary: 'Create a user',
      access: ADMIN,
      body: createUserBody,
      status: 201,
      handler: ({ user, body }) => users.createUser(body, user),
    })
    .add({
      method: 'get',
      path: '/users/:userId',
      operationId: 'getUser',
      response: userResponse,
      summary: 'Get a user',
      access: ADMIN,
      handler: ({ params }) => users.getUser(params.userId),
    })
    .add({
      method: 'patch',
      path: '/users/:userId',
      operationId: 'updateUser',
      response: userResponse,
      errors: [409],
      summary: 'Update, deactivate or reset a user',
      access: ADMIN,
      body: updateUserBody,
      handler: ({ user, params, body }) => users.updateUser(user, params.userId, body),
    });
}
