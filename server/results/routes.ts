import type { ApiRouter } from '../platform/http/api-router';
import { overview } from './overview';
import { overviewQuery, resultsQuery } from './schema';
import { getResults, RESULTS_ROLES } from './service';

export function registerResultsApi(api: ApiRouter): void {
  api
    .add({
      method: 'get',
      path: '/results',
      summary: "Quarterly results of a bank at one level, cut to the caller's scope",
      access: RESULTS_ROLES,
      query: resultsQuery,
      handler: ({ user, query }) => getResults(user, query),
    })
    .add({
      method: 'get',
      path: '/overview',
      summary: 'Visits per state and coverage per bank for a quarter',
      access: ['admin'],
      query: overviewQuery,
      handler: ({ user, query }) => overview(user, query.quarter),
    });
}
