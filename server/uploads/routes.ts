import { NO_CONTENT, type ApiRouter } from '../platform/http/api-router';
import { attachmentResponse } from '../visits/responses';
import { PART_TYPE, requirePartBody, withPartBody } from './http';
import { uploadResponse } from './responses';
import { chunkQuery, createUploadBody } from './schema';
import * as uploads from './service';

const AUDITOR = ['auditor'] as const;
const PROTOCOL =
  'Resumable upload of one evidence file (owner, draft/returned visit): POST declares it, PATCH sends parts at `offset` (where the stored bytes end), GET tells the offset after a dropped connection, POST …/complete attaches the file once.';

export function registerUploadApi(api: ApiRouter): void {
  api
    .tag('Uploads', PROTOCOL)
    .add({
      method: 'post',
      path: '/visits/:visitId/uploads',
      operationId: 'createVisitUpload',
      response: uploadResponse,
      errors: [404, 409, 413, 415, 422],
      summary:
        'Declare a file to upload in parts (name, size, optional contentType and itemKey); limits are checked here. The same Idempotency-Key finds the same upload again, with its offset',
      access: AUDITOR,
      body: createUploadBody,
      status: 201,
      handler: ({ user, params, body, req }) =>
        uploads.createUpload(user, params.visitId, body, req.get('idempotency-key') || undefined),
    })
    .add({
      method: 'get',
      path: '/visits/:visitId/uploads/:uploadId',
      operationId: 'getVisitUpload',
      response: uploadResponse,
      summary: 'The upload as stored: `offset` is where the next part starts (after a dropped connection too)',
      access: AUDITOR,
      handler: ({ user, params }) => uploads.getUpload(user, params.visitId, params.uploadId),
    })
    .add({
      method: 'patch',
      path: '/visits/:visitId/uploads/:uploadId',
      operationId: 'sendVisitUploadPart',
      response: uploadResponse,
      errors: [409, 413, 415],
      summary: `Send the next part as ${PART_TYPE}, starting at \`offset\`; another offset is 409 with the right one; a cut-off part keeps what arrived`,
      access: AUDITOR,
      query: chunkQuery,
      rawBody: PART_TYPE,
      handler: ({ user, params, query, req }) =>
        withPartBody(req, () =>
          uploads.appendPart(user, params.visitId, params.uploadId, {
            offset: query.offset,
            ...requirePartBody(req),
            body: req,
          }),
        ),
    })
    .add({
      method: 'post',
      path: '/visits/:visitId/uploads/:uploadId/complete',
      operationId: 'completeVisitUpload',
      response: attachmentResponse,
      summary:
        'Attach the uploaded file to the visit (content checked, EXIF read); repeated, it answers the same attachment',
      access: AUDITOR,
      status: 201,
      handler: ({ user, params }) => uploads.completeUpload(user, params.visitId, params.uploadId),
    })
    .add({
      method: 'delete',
      path: '/visits/:visitId/uploads/:uploadId',
      operationId: 'cancelVisitUpload',
      response: NO_CONTENT,
      errors: [404, 409],
      summary:
        'Cancel an open upload (the file is not wanted any more): its stored parts are deleted and it no longer counts toward UPLOAD_MAX_OPEN_PER_USER; repeated, 204 again; a completed upload is 409 (remove the attachment instead)',
      access: AUDITOR,
      status: 204,
      handler: async ({ user, params, res }) => {
        await uploads.cancelUpload(user, params.visitId, params.uploadId);
        res.status(204).end();
        return undefined;
      },
    });
}
