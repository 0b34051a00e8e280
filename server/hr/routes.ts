import type { Response } from 'express';
import type { ApiRouter } from '../platform/http/api-router';
import { exportName, scorecardsCsv, scorecardsXlsx } from './export';
import { linkReviewBody, reviewsQuery, scorecardQuery } from './schema';
import * as hr from './service';
import { reviewResponse, scorecardResponse, scoreVisitResponse } from './responses';
import { files } from '../platform/http/api-router';
import { z } from 'zod';

const CSV = 'text/csv; charset=utf-8';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function sendFile(res: Response, type: string, name: string, body: Buffer): undefined {
  res
    .status(200)
    .attachment(name)
    .set({ 'Content-Type': type, 'Cache-Control': 'private, no-store', 'X-Content-Type-Options': 'nosniff' })
    .send(body);
  return undefined;
}

export function registerHrApi(api: ApiRouter): void {
  api
    .tag('HR', 'Staff scorecards, exports and links to staff reviews (SPEC §6)')
    .add({
      method: 'get',
      path: '/staff/scorecards',
      operationId: 'listStaffScorecards',
      response: z.array(scorecardResponse),
      errors: [404],
      summary:
        "Staff scorecards of a bank's quarter with trend and dispute state (approved visits only); Accept: text/csv gives CSV",
      access: hr.HR_READERS,
      query: scorecardQuery,
      produces: ['text/csv'],
      handler: async ({ user, query, req, res }) => {
        const s = await hr.staffScorecards(user, query);
        if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
          await hr.noteExport(user, s, 'csv');
          return sendFile(res, CSV, exportName(s, 'csv'), scorecardsCsv(s, await hr.scorecardVisits(user, s)));
        }
        return s.rows;
      },
    })
    .add({
      method: 'get',
      path: '/staff/scorecards.csv',
      operationId: 'exportStaffScorecardsCsv',
      response: files('text/csv'),
      errors: [404],
      summary: 'Staff scorecards as CSV (UTF-8 with BOM)',
      access: hr.HR_READERS,
      query: scorecardQuery,
      produces: ['text/csv'],
      handler: async ({ user, query, res }) => {
        const s = await hr.staffScorecards(user, query);
        await hr.noteExport(user, s, 'csv');
        return sendFile(res, CSV, exportName(s, 'csv'), scorecardsCsv(s, await hr.scorecardVisits(user, s)));
      },
    })
    .add({
      method: 'get',
      path: '/staff/scorecards.xlsx',
      operationId: 'exportStaffScorecardsXlsx',
      response: files(XLSX),
      errors: [404],
      summary: 'Staff scorecards as XLSX',
      access: hr.HR_READERS,
      query: scorecardQuery,
      produces: [XLSX],
      handler: async ({ user, query, res }) => {
        const s = await hr.staffScorecards(user, query);
        await hr.noteExport(user, s, 'xlsx');
        return sendFile(res, XLSX, exportName(s, 'xlsx'), await scorecardsXlsx(s, await hr.scorecardVisits(user, s)));
      },
    })
    .add({
      method: 'get',
      path: '/staff/:employeeId/visits',
      operationId: 'listStaffScoreVisits',
      response: z.array(scoreVisitResponse),
      summary: "The approved visits a staff member's quarter score rests on (oldest first); auditors by pseudonym only",
      access: hr.HR_READERS,
      query: scorecardQuery,
      handler: async ({ user, params, query }) => (await hr.staffScoreVisits(user, params.employeeId, query)).visits,
    })
    .add({
      method: 'post',
      path: '/staff/:employeeId/reviews',
      operationId: 'linkStaffReview',
      response: reviewResponse,
      summary: "Link a quarter's scorecard to an HR review; the numbers are frozen in a snapshot",
      access: hr.HR_WRITERS,
      body: linkReviewBody,
      status: 201,
      handler: ({ user, params, body }) => hr.linkReview(user, params.employeeId, body),
    })
    .add({
      method: 'get',
      path: '/staff/:employeeId/reviews',
      operationId: 'listStaffReviews',
      response: z.array(reviewResponse),
      summary: 'The review links of a staff member, newest first',
      access: hr.HR_READERS,
      query: reviewsQuery,
      handler: ({ user, params, query }) => hr.staffReviews(user, params.employeeId, query),
    });
}
