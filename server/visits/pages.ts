import express, { type Router } from 'express';
import { config } from '../platform/config';
import { idempotency } from '../platform/db/idempotency';
import { saveDraftJson } from './pages/autosave';
import { editPage, saveFormPage } from './pages/edit';
import { attachmentFile, removeAttachmentPage, uploadPage } from './pages/evidence';
import { assignmentsPage, queuePage, startVisitPage } from './pages/lists';
import { recordLocationJson } from './pages/place';
import { reviewPage, visitPage } from './pages/show';
import { submitJson, visitStateJson } from './pages/sync';
import { createVisitJson, newVisitPage } from './pages/start-offline';

/**
 * The visit pages: the auditor's assignments and form (pages/edit, with autosave and evidence upload
 * from public/visit-form.js), the read view for everyone who may see a visit, and the reviewer's
 * queue. Every write goes through the visits service; the form fields are turned into the API's
 * PATCH body and checked by the same schema (pages/form).
 */
export function registerVisitPages(r: Router): void {
  r.get('/review', queuePage);
  r.get('/visits/:visitId', visitPage);
  r.get('/visits/:visitId/edit', editPage);
  r.post('/visits/:visitId/edit', saveFormPage);
  // The phone's send queue (public/offline-queue.js) sends each write with an Idempotency-Key kept
  // with the queued item: a retry whose first answer was lost gets that answer, and nothing twice.
  r.post('/visits/:visitId/draft', idempotency, express.json({ limit: config().JSON_BODY_LIMIT }), saveDraftJson);
  r.post('/visits/:visitId/attachments', idempotency, uploadPage);
  r.post('/visits/:visitId/location', idempotency, express.json({ limit: '4kb' }), recordLocationJson);
  r.post('/visits/:visitId/submit', idempotency, submitJson);
  r.get('/visits/:visitId/state', visitStateJson);
  r.get('/visits/:visitId/attachments/:attachmentId', attachmentFile);
  r.post('/visits/:visitId/attachments/:attachmentId/remove', removeAttachmentPage);
  r.post('/visits/:visitId/review', reviewPage);
  r.get('/assignments', assignmentsPage);
  r.post('/assignments/:assignmentId/start', startVisitPage);
  // Starting a visit with no connection (pages/start-offline.ts): the kept blank form, and the queue's create.
  r.get('/assignments/:assignmentId/new', newVisitPage);
  r.post('/assignments/:assignmentId/visit', idempotency, express.json({ limit: '4kb' }), createVisitJson);
}
