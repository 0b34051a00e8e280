import type { ApiRouter } from '../platform/http/api-router';
import { sendDownload } from '../platform/http/download';
import { requireFile } from '../platform/http/uploads';
import { addDisputeAttachment, disputeEvidenceUpload, openDisputeAttachment, type DisputeUpload } from './evidence';
import { listDisputesQuery, openDisputeBody, resolveDisputeBody } from './schema';
import * as disputes from './service';
import { disputeAttachmentResponse, disputeResponse } from './responses';
import { files } from '../platform/http/api-router';
import { EVIDENCE_TYPES } from '../platform/http/api-schema';
import { z } from 'zod';

export function registerDisputeApi(api: ApiRouter): void {
  api
    .tag('Disputes', 'Bank managers dispute items of approved visits; reviewers decide')
    .add({
      method: 'post',
      path: '/visits/:visitId/disputes',
      operationId: 'openDispute',
      response: disputeResponse,
      summary:
        'Dispute one item of an approved visit (bank manager in scope, within the dispute window); the visit becomes disputed',
      access: disputes.OPENER,
      body: openDisputeBody,
      status: 201,
      handler: ({ user, params, body }) => disputes.openDispute(user, params.visitId, body),
    })
    .add({
      method: 'get',
      path: '/visits/:visitId/disputes',
      operationId: 'listVisitDisputes',
      response: z.array(disputeResponse),
      summary: 'The disputes of a visit (whoever may see the visit among reviewer, admin, bank manager)',
      access: disputes.READERS,
      handler: ({ user, params }) => disputes.visitDisputes(user, params.visitId),
    })
    .add({
      method: 'get',
      path: '/disputes',
      operationId: 'listDisputes',
      response: z.array(disputeResponse),
      errors: [404],
      summary: 'List disputes (reviewer, admin: all; bank manager: in scope)',
      access: disputes.READERS,
      query: listDisputesQuery,
      handler: ({ user, query }) => disputes.listDisputes(user, query),
    })
    .add({
      method: 'get',
      path: '/disputes/:disputeId',
      operationId: 'getDispute',
      response: disputeResponse,
      summary: 'Get a dispute',
      access: disputes.READERS,
      handler: ({ user, params }) => disputes.getDispute(user, params.disputeId),
    })
    .add({
      method: 'post',
      path: '/disputes/:disputeId/resolve',
      operationId: 'resolveDispute',
      response: disputeResponse,
      summary:
        'Uphold or overturn a dispute (overturned: the answer is corrected and the visit rescored); the visit returns to approved once no dispute is open',
      access: disputes.RESOLVER,
      body: resolveDisputeBody,
      handler: ({ user, params, body }) => disputes.resolveDispute(user, params.disputeId, body),
    })
    .add({
      method: 'post',
      path: '/disputes/:disputeId/attachments',
      operationId: 'addDisputeAttachment',
      response: disputeAttachmentResponse,
      summary:
        'Add an evidence file to an open dispute (bank manager in scope): multipart field "file"; type checked by content',
      access: disputes.OPENER,
      upload: disputeEvidenceUpload(),
      status: 201,
      handler: ({ user, params, req }) =>
        addDisputeAttachment(user, params.disputeId, (requireFile(req) as DisputeUpload).evidence),
    })
    .add({
      method: 'get',
      path: '/disputes/:disputeId/attachments/:attachmentId',
      operationId: 'getDisputeAttachment',
      response: files(...EVIDENCE_TYPES),
      summary: "Download a dispute's evidence file",
      access: disputes.READERS,
      produces: ['application/octet-stream'],
      handler: async ({ user, params, res }) =>
        sendDownload(res, await openDisputeAttachment(user, params.disputeId, params.attachmentId)),
    });
}
