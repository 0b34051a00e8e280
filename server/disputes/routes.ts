import type { ApiRouter } from '../platform/http/api-router';
import { sendDownload } from '../platform/http/download';
import { requireFile } from '../platform/http/uploads';
import { addDisputeAttachment, disputeEvidenceUpload, openDisputeAttachment, type DisputeUpload } from './evidence';
import { listDisputesQuery, openDisputeBody, resolveDisputeBody } from './schema';
import * as disputes from './service';

export function registerDisputeApi(api: ApiRouter): void {
  api
    .add({
      method: 'post',
      path: '/visits/:visitId/disputes',
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
      summary: 'The disputes of a visit (whoever may see the visit among reviewer, admin, bank manager)',
      access: disputes.READERS,
      handler: ({ user, params }) => disputes.visitDisputes(user, params.visitId),
    })
    .add({
      method: 'get',
      path: '/disputes',
      summary: 'List disputes (reviewer, admin: all; bank manager: in scope)',
      access: disputes.READERS,
      query: listDisputesQuery,
      handler: ({ user, query }) => disputes.listDisputes(user, query),
    })
    .add({
      method: 'get',
      path: '/disputes/:disputeId',
      summary: 'Get a dispute',
      access: disputes.READERS,
      handler: ({ user, params }) => disputes.getDispute(user, params.disputeId),
    })
    .add({
      method: 'post',
      path: '/disputes/:disputeId/resolve',
      summary:
        'Uphold or overturn a dispute (overturned: the answer is corrected and the visit rescored); the visit returns to approved once no dispute is open',
      access: disputes.RESOLVER,
      body: resolveDisputeBody,
      handler: ({ user, params, body }) => disputes.resolveDispute(user, params.disputeId, body),
    })
    .add({
      method: 'post',
      path: '/disputes/:disputeId/attachments',
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
      summary: "Download a dispute's evidence file",
      access: disputes.READERS,
      produces: ['application/octet-stream'],
      handler: async ({ user, params, res }) =>
        sendDownload(res, await openDisputeAttachment(user, params.disputeId, params.attachmentId)),
    });
}
