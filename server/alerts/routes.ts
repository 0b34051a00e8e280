import { z } from 'zod';
import type { ApiRouter } from '../platform/http/api-router';
import { alertResponse } from './responses';
import { listAlertsQuery } from './schema';
import * as alerts from './service';

export function registerAlertApi(api: ApiRouter): void {
  api
    .tag('Alerts', 'Compliance alerts: approved visits with a violation, told to the bank within a minute (SPEC §13)')
    .add({
      method: 'get',
      path: '/alerts',
      operationId: 'listComplianceAlerts',
      response: z.array(alertResponse),
      errors: [404],
      summary: 'Compliance alerts (approved visits with a violation): admin, all banks; bank manager, in scope',
      access: alerts.ALERT_READERS,
      query: listAlertsQuery,
      handler: ({ user, query }) => alerts.listAlerts(user, query),
    });
}
