import type { ApiRouter } from '../platform/http/api-router';
import { listAlertsQuery } from './schema';
import * as alerts from './service';

export function registerAlertApi(api: ApiRouter): void {
  api.add({
    method: 'get',
    path: '/alerts',
    summary: 'Compliance alerts (approved visits with a violation): admin, all banks; bank manager, in scope',
    access: alerts.ALERT_READERS,
    query: listAlertsQuery,
    handler: ({ user, query }) => alerts.listAlerts(user, query),
  });
}
