import type { EvidenceUpload } from '../evidence/upload';
import type { ApiRouter } from '../platform/http/api-router';
import { sendDownload } from '../platform/http/download';
import { pageQuery, sendPage } from '../platform/http/paging';
import { requireFile } from '../platform/http/uploads';
import { createVisitBody, listVisitsQuery, recordLocationBody, reviewVisitBody, updateVisitBody } from './schema';
import * as visits from './service';
import { attachmentResponse, locationResponse, queueRowResponse, visitResponse } from './responses';
import { files } from '../platform/http/api-router';
import { EVIDENCE_TYPES } from '../platform/http/api-schema';
import { z } from 'zod';

const AUDITOR = ['auditor'] as const;
const REVIEWER = ['reviewer'] as const;
const QUEUE = ['reviewer', 'admin'] as const;
const ANY_ROLE = 'authenticated' as const;

export function registerVisitApi(api: ApiRouter): void {
  api
    .tag('Visits', "The auditor's visit form, evidence and the review (SPEC §4)")
    .add({
      method: 'get',
      path: '/visits',
      operationId: 'listVisits',
      response: z.array(visitResponse),
      paged: true,
      summary:
        'List visits the caller may see (auditor: own; reviewer, admin: all; bank users: approved/disputed in scope), newest first; `limit` (default 500) and `cursor` page it, the next page in X-Next-Cursor and Link',
      access: ANY_ROLE,
      query: listVisitsQuery,
      handler: async ({ user, query, req, res }) => sendPage(req, res, await visits.listVisits(user, query)),
    })
    .add({
      method: 'post',
      path: '/visits',
      operationId: 'createVisit',
      response: visitResponse,
      errors: [404],
      summary: 'Start the visit of an own assignment (draft); Idempotency-Key makes retries safe',
      access: AUDITOR,
      body: createVisitBody,
      status: 201,
      handler: ({ user, body, req }) => visits.createVisit(user, body, req.get('idempotency-key') || undefined),
    })
    .add({
      method: 'get',
      path: '/visits/:visitId',
      operationId: 'getVisit',
      response: visitResponse,
      summary: 'Get a visit',
      access: ANY_ROLE,
      handler: ({ user, params }) => visits.getVisit(user, params.visitId),
    })
    .add({
      method: 'patch',
      path: '/visits/:visitId',
      operationId: 'updateVisit',
      response: visitResponse,
      errors: [409],
      summary: 'Edit an own draft or returned visit (arrays replace; optional rev guards against stale edits)',
      access: AUDITOR,
      body: updateVisitBody,
      handler: ({ user, params, body }) => visits.updateVisit(user, params.visitId, body),
    })
    .add({
      method: 'post',
      path: '/visits/:visitId/submit',
      operationId: 'submitVisit',
      response: visitResponse,
      summary: 'Submit an own visit for review',
      access: AUDITOR,
      handler: ({ user, params }) => visits.submitVisit(user, params.visitId),
    })
    .add({
      method: 'post',
      path: '/visits/:visitId/review',
      operationId: 'reviewVisit',
      response: visitResponse,
      summary: 'Approve or return a submitted visit',
      access: REVIEWER,
      body: reviewVisitBody,
      handler: ({ user, params, body }) => visits.reviewVisit(user, params.visitId, body),
    })
    .add({
      method: 'get',
      path: '/review/queue',
      operationId: 'reviewQueue',
      response: z.array(queueRowResponse),
      paged: true,
      summary:
        'Submitted visits, oldest first, with flags and attachment counts; `limit` (default 500) and `cursor` page it, the next page in X-Next-Cursor and Link',
      access: QUEUE,
      query: pageQuery,
      handler: async ({ user, query, req, res }) => sendPage(req, res, await visits.reviewQueue(user, query)),
    })
    .add({
      method: 'post',
      path: '/visits/:visitId/attachments',
      operationId: 'addVisitAttachment',
      response: attachmentResponse,
      summary:
        'Attach evidence (owner, draft/returned): multipart field "file"; type checked by content; optional field "itemKey" names the item it is evidence for; a photo\'s EXIF capture time and GPS are read and kept',
      access: AUDITOR,
      upload: visits.visitEvidenceUpload(),
      status: 201,
      handler: ({ user, params, req }) =>
        visits.addAttachment(
          user,
          params.visitId,
          (requireFile(req) as EvidenceUpload).evidence,
          (req.body as Record<string, unknown> | undefined)?.itemKey,
        ),
    })
    .add({
      method: 'post',
      path: '/visits/:visitId/location',
      operationId: 'recordVisitLocation',
      response: locationResponse,
      errors: [404, 409],
      summary:
        'Record "arrived" / "left" from the phone (owner, draft/returned): position, accuracy (m) and device time, or refused: true; flagged, never refused, far from the branch (SPEC §9); Idempotency-Key makes retries safe',
      access: AUDITOR,
      body: recordLocationBody,
      status: 201,
      handler: ({ user, params, body, req }) =>
        visits.recordLocation(user, params.visitId, body, req.get('idempotency-key') || undefined),
    })
    .add({
      method: 'get',
      path: '/visits/:visitId/attachments/:attachmentId',
      operationId: 'getVisitAttachment',
      response: files(...EVIDENCE_TYPES),
      summary: 'Download evidence (anyone who may see the visit)',
      access: ANY_ROLE,
      produces: ['application/octet-stream'],
      handler: async ({ user, params, res }) =>
        sendDownload(res, await visits.openAttachment(user, params.visitId, params.attachmentId)),
    })
    .add({
      method: 'delete',
      path: '/visits/:visitId/attachments/:attachmentId',
      operationId: 'removeVisitAttachment',
      response: visitResponse,
      errors: [409],
      summary: 'Mark evidence removed (owner, draft/returned); the file is kept and the removal recorded',
      access: AUDITOR,
      handler: ({ user, params }) => visits.removeAttachment(user, params.visitId, params.attachmentId),
    });
}
