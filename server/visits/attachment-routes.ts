import { pipeline } from 'node:stream/promises';
import type { ApiRouter } from '../platform/http/api-router';
import { requireFile } from '../platform/http/uploads';
import { addAttachment, openAttachment, removeAttachment } from './attachments';
import type { EvidenceUpload } from '../evidence/storage';
import { evidenceUpload } from '../evidence/upload';

const OWNER = ['auditor'] as const;
const ANY_ROLE = 'authenticated' as const;

export function registerEvidenceApi(api: ApiRouter): void {
  api
    .add({
      method: 'post',
      path: '/visits/:visitId/attachments',
      summary: 'Attach evidence (owner, draft/returned): multipart field "file"; type checked by content',
      access: OWNER,
      upload: evidenceUpload(),
      status: 201,
      handler: ({ user, params, req }) =>
        addAttachment(user, params.visitId, (requireFile(req) as EvidenceUpload).evidence),
    })
    .add({
      method: 'get',
      path: '/visits/:visitId/attachments/:attachmentId',
      summary: 'Download evidence (anyone who may see the visit)',
      access: ANY_ROLE,
      produces: ['application/octet-stream'],
      handler: async ({ user, params, res }) => {
        const file = await openAttachment(user, params.visitId, params.attachmentId);
        res.attachment(file.filename);
        res.set({
          'Content-Type': file.contentType,
          'Content-Length': String(file.size),
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'private, no-store',
        });
        await pipeline(file.stream, res);
        return undefined;
      },
    })
    .add({
      method: 'delete',
      path: '/visits/:visitId/attachments/:attachmentId',
      summary: 'Mark evidence removed (owner, draft/returned); the file is kept and the removal recorded',
      access: OWNER,
      handler: ({ user, params }) => removeAttachment(user, params.visitId, params.attachmentId),
    });
}
