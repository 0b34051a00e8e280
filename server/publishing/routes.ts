import type { Request, Response } from 'express';
import type { ApiRouter } from '../platform/http/api-router';
import type { Principal } from '../platform/access';
import { listReportsQuery, resendBody } from './schema';
import * as reports from './service';
import { closeResponse, deliveryResponse, reportResponse } from './responses';
import { files } from '../platform/http/api-router';
import { z } from 'zod';

const ADMIN = reports.CLOSE_ROLES;
const READERS = reports.REPORT_ROLES;

export function registerReportApi(api: ApiRouter): void {
  api
    .tag('Reports', 'Closing a quarter, the PDF reports and their e-mail delivery (SPEC §5)')
    .add({
      method: 'post',
      path: '/banks/:bankId/quarters/:quarter/close',
      operationId: 'closeQuarter',
      response: closeResponse,
      summary: 'Close a quarter: snapshot, render the PDFs, e-mail the recipients (background job)',
      access: ADMIN,
      status: 202,
      handler: ({ user, params }) => reports.closeQuarter(user, params.bankId, params.quarter),
    })
    .add({
      method: 'get',
      path: '/reports',
      operationId: 'listReports',
      response: z.array(reportResponse),
      errors: [404],
      summary: "List reports (files cut to the caller's scope)",
      access: READERS,
      query: listReportsQuery,
      handler: ({ user, query }) => reports.listReports(user, query),
    })
    .add({
      method: 'get',
      path: '/reports/:id',
      operationId: 'getReport',
      response: reportResponse,
      summary: 'Get a report',
      access: READERS,
      handler: ({ user, params }) => reports.getReport(user, params.id),
    })
    .add({
      method: 'get',
      path: '/reports/:id/files/:scope',
      operationId: 'getReportFile',
      response: files('application/pdf'),
      conditional: true,
      summary: 'Download a report PDF (scope: bank, region:<name> or branch:<code>)',
      access: READERS,
      produces: ['application/pdf'],
      handler: ({ user, params, req, res }) => sendReportFile(user, params.id, params.scope, req, res),
    })
    .add({
      method: 'get',
      path: '/reports/:id/deliveries',
      operationId: 'listReportDeliveries',
      response: z.array(deliveryResponse),
      summary: 'E-mail deliveries of a report',
      access: ADMIN,
      handler: ({ user, params }) => reports.reportDeliveries(user, params.id),
    })
    .add({
      method: 'post',
      path: '/reports/:id/deliveries/resend',
      operationId: 'resendReport',
      response: z.array(deliveryResponse),
      summary: 'Re-send the report e-mail (to all recipients or one)',
      access: ADMIN,
      body: resendBody,
      status: 202,
      handler: ({ user, params, body }) => reports.resendReport(user, params.id, body),
    });
}

/** Streams a PDF with its ETag; a matching If-None-Match gets 304 (a report file never changes). */
export async function sendReportFile(
  user: Principal,
  id: string,
  scope: string,
  req: Request,
  res: Response,
): Promise<undefined> {
  const file = await reports.reportFile(user, id, scope);
  res.set({ ETag: file.etag, 'Cache-Control': 'private, no-cache', 'X-Content-Type-Options': 'nosniff' });
  const match = req.get('if-none-match');
  if (
    match &&
    (match.trim() === '*' ||
      match
        .split(',')
        .map((s) => s.trim().replace(/^W\//, ''))
        .includes(file.etag))
  ) {
    res.status(304).end();
    return undefined;
  }
  res.status(200).set({
    'Content-Type': 'application/pdf',
    'Content-Length': String(file.size),
    'Content-Disposition': file.disposition,
  });
  await new Promise<void>((resolve, reject) => {
    const stream = file.open();
    stream.once('error', (e) => (res.headersSent ? res.destroy(e as Error) : reject(e)));
    res.once('close', () => resolve());
    stream.pipe(res);
  });
  return undefined;
}
