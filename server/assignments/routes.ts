import { sendPage } from '../platform/http/paging';
import type { ApiRouter } from '../platform/http/api-router';
import { requireFile, tabularUpload } from '../platform/http/uploads';
import { createAssignmentBody, importAssignmentsQuery, listAssignmentsQuery } from './schema';
import * as assignments from './service';
// An assignment is shown with its visit (visitId, visitStatus): visits build on assignments, so that view is theirs.
import { getAssignmentWithVisit, listAssignmentsWithVisits } from '../visits/service';
import { assignmentResponse } from './responses';
import { importResult } from '../platform/http/api-schema';
import { z } from 'zod';

const ADMIN = ['admin'] as const;
const SEES_ASSIGNMENTS = ['admin', 'auditor'] as const;

export function registerAssignmentApi(api: ApiRouter): void {
  api
    .tag('Assignments', 'Which auditor visits which branch, when, on which questionnaire')
    .add({
      method: 'get',
      path: '/assignments',
      operationId: 'listAssignments',
      response: z.array(assignmentResponse),
      paged: true,
      summary:
        'List assignments (auditor: own; admin: all, filtered), earliest window first; `limit` (default 500) and `cursor` page it, the next page in X-Next-Cursor and Link',
      access: SEES_ASSIGNMENTS,
      query: listAssignmentsQuery,
      handler: async ({ user, query, req, res }) => sendPage(req, res, await listAssignmentsWithVisits(user, query)),
    })
    .add({
      method: 'post',
      path: '/assignments',
      operationId: 'createAssignment',
      response: assignmentResponse,
      errors: [404],
      summary: 'Create an assignment',
      access: ADMIN,
      body: createAssignmentBody,
      status: 201,
      handler: ({ user, body }) => assignments.createAssignment(user, body),
    })
    .add({
      method: 'post',
      path: '/assignments/import',
      operationId: 'importAssignments',
      response: importResult,
      errors: [404],
      summary:
        'Import assignments from CSV or XLSX (query: bankId, questionnaireId; columns branchCode,auditorEmail,quarter,windowStart,windowEnd,scenario; XLSX date cells are read in the bank time zone); all rows or none',
      access: ADMIN,
      query: importAssignmentsQuery,
      upload: tabularUpload(),
      handler: ({ user, query, req }) => assignments.importAssignments(user, query, requireFile(req).buffer),
    })
    .add({
      method: 'get',
      path: '/assignments/:assignmentId',
      operationId: 'getAssignment',
      response: assignmentResponse,
      summary: 'Get an assignment (owner or admin)',
      access: SEES_ASSIGNMENTS,
      handler: ({ user, params }) => getAssignmentWithVisit(user, params.assignmentId),
    });
}
