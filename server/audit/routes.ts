import { z } from 'zod';
import { files, type ApiRouter } from '../platform/http/api-router';
import { auditEntryResponse } from './responses';
import { sendPage } from '../platform/http/paging';
import { auditQuery } from './schema';
import * as audit from './service';
import { readerZone } from './zone';

const READERS = ['admin', 'bank_manager'] as const;

export function registerAuditApi(api: ApiRouter): void {
  api
    .tag('Audit log', 'Who did what, when, from where: append-only, read by admins and whole-bank managers')
    .add({
      method: 'get',
      path: '/audit-log',
      operationId: 'listAuditEntries',
      response: z.array(auditEntryResponse),
      paged: true,
      summary:
        'The audit log, newest first (admins: all; a whole-bank manager: their own bank’s users); paged with limit/cursor, X-Next-Cursor',
      access: READERS,
      query: auditQuery,
      handler: async ({ user, query, req, res }) =>
        sendPage(req, res, await audit.listEntries(user, query, await readerZone(user))),
    })
    .add({
      method: 'get',
      path: '/audit-log.csv',
      operationId: 'exportAuditLogCsv',
      response: files('text/csv'),
      summary: 'The audit log as CSV (UTF-8 with BOM), every entry the filter selects; the export is itself recorded',
      access: READERS,
      query: auditQuery,
      produces: ['text/csv'],
      handler: async ({ user, query, res }) => {
        const zone = await readerZone(user);
        const rows = await audit.entriesForExport(user, query, zone);
        await audit.noteExport(user, query, rows.length);
        res
          .status(200)
          .attachment(`audit-log-${new Date().toISOString().slice(0, 10)}.csv`)
          .set({ 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'private, no-store' })
          .send(audit.auditCsv(rows, zone));
        return undefined;
      },
    });
}
