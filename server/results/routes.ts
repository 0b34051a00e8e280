import type { ApiRouter } from '../platform/http/api-router';
import { overview } from './overview';
import { overviewQuery, resultsQuery } from './schema';
import { getResults, RESULTS_ROLES } from './service';
import { overviewResponse, resultsResponse } from './responses';

export function registerResultsApi(api: ApiRouter): void {
  api
    .tag('Results', 'Quarterly results per bank, region, branch and staff member (SPEC §3)')
    .add({
      method: 'get',
      path: '/results',
      operationId: 'getResults',
      response: resultsResponse,
      errors: [404],
      summary: "Quarterly results of a bank at one level, cut to the caller's scope",
      access: RESULTS_ROLES,
      query: resultsQuery,
      handler: ({ user, query }) => getResults(user, query),
    })
    .add({
      method: 'get',
      path: '/overview',
      operationId: 'getOverview',
      response: overviewResponse,
      summary: 'Visits per state and coverage per bank for a quarter',
      access: ['admin'],
      query: overviewQuery,
      handler: ({ user, query }) => overview(user, query.quarter),
    });
}
