import { requireFile, tabularUpload } from '../platform/http/uploads';
import type { ApiRouter } from '../platform/http/api-router';
import { sendPage } from '../platform/http/paging';
import { createBankBody, createBranchBody, createStaffBody, listQuery, updateBankBody } from './schema';
import * as banks from './service';
import { bankResponse, branchResponse, staffResponse } from './responses';
import { importResult } from '../platform/http/api-schema';
import { z } from 'zod';

const ADMIN = ['admin'] as const;
const SEES_BANKS = ['admin', 'reviewer', 'bank_manager', 'hr'] as const;

export function registerBankApi(api: ApiRouter): void {
  api
    .tag('Banks', 'Banks, their branches and staff lists (admin sets them up)')
    .add({
      method: 'get',
      path: '/banks',
      operationId: 'listBanks',
      response: z.array(bankResponse),
      summary: 'List banks the caller may see',
      access: SEES_BANKS,
      handler: ({ user }) => banks.listBanks(user),
    })
    .add({
      method: 'post',
      path: '/banks',
      operationId: 'createBank',
      response: bankResponse,
      summary: 'Create a bank',
      access: ADMIN,
      body: createBankBody,
      status: 201,
      handler: ({ body }) => banks.createBank(body),
    })
    .add({
      method: 'get',
      path: '/banks/:bankId',
      operationId: 'getBank',
      response: bankResponse,
      summary: 'Get a bank',
      access: SEES_BANKS,
      handler: ({ user, params }) => banks.getBank(user, params.bankId),
    })
    .add({
      method: 'patch',
      path: '/banks/:bankId',
      operationId: 'updateBank',
      response: bankResponse,
      summary: 'Update a bank',
      access: ADMIN,
      body: updateBankBody,
      handler: ({ user, params, body }) => banks.updateBank(user, params.bankId, body),
    })
    .add({
      method: 'get',
      path: '/banks/:bankId/branches',
      operationId: 'listBranches',
      response: z.array(branchResponse),
      paged: true,
      summary:
        'List branches in scope; `limit` (default 500) and `cursor` page it, the next page in X-Next-Cursor and Link',
      access: SEES_BANKS,
      query: listQuery,
      handler: async ({ user, params, query, req, res }) =>
        sendPage(req, res, await banks.listBranches(user, params.bankId, query)),
    })
    .add({
      method: 'post',
      path: '/banks/:bankId/branches',
      operationId: 'createBranch',
      response: branchResponse,
      summary: 'Create a branch',
      access: ADMIN,
      body: createBranchBody,
      status: 201,
      handler: ({ user, params, body }) => banks.createBranch(user, params.bankId, body),
    })
    .add({
      method: 'post',
      path: '/banks/:bankId/branches/import',
      operationId: 'importBranches',
      response: importResult,
      summary: 'Import branches from CSV or XLSX',
      access: ADMIN,
      upload: tabularUpload(),
      handler: ({ user, params, req }) => banks.importBranches(user, params.bankId, requireFile(req).buffer),
    })
    .add({
      method: 'get',
      path: '/banks/:bankId/staff',
      operationId: 'listStaff',
      response: z.array(staffResponse),
      paged: true,
      summary:
        'List staff in scope; `limit` (default 500) and `cursor` page it, the next page in X-Next-Cursor and Link',
      access: SEES_BANKS,
      query: listQuery,
      handler: async ({ user, params, query, req, res }) =>
        sendPage(req, res, await banks.listStaff(user, params.bankId, query)),
    })
    .add({
      method: 'post',
      path: '/banks/:bankId/staff',
      operationId: 'createStaff',
      response: staffResponse,
      summary: 'Create a staff member',
      access: ADMIN,
      body: createStaffBody,
      status: 201,
      handler: ({ user, params, body }) => banks.createStaff(user, params.bankId, body),
    })
    .add({
      method: 'post',
      path: '/banks/:bankId/staff/import',
      operationId: 'importStaff',
      response: importResult,
      summary: 'Import staff from CSV or XLSX',
      access: ADMIN,
      upload: tabularUpload(),
      handler: ({ user, params, req }) => banks.importStaff(user, params.bankId, requireFile(req).buffer),
    });
}
