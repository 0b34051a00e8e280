import { registerAuthApi } from './auth/routes';
import { registerBankApi } from './banks/routes';
import { ApiRouter } from './platform/http/api-router';
import { openApiDocument } from './platform/http/openapi';
import { registerUserApi } from './users/routes';
import { registerResultsApi } from './results/routes';
import { registerQuestionnaireApi } from './questionnaires/routes';
import { registerAssignmentApi } from './assignments/routes';
import { registerVisitApi } from './visits/routes';
import { registerReportApi } from './publishing/routes';
import { registerDisputeApi } from './disputes/routes';
import { registerActionPlanApi } from './actions/routes';
import { registerHrApi } from './hr/routes';
import { registerAuditApi } from './audit/routes';
import { registerAlertApi } from './alerts/routes';
import { registerWebhookApi } from './webhooks/routes';
import { registerCalibrationApi } from './calibration/routes';
import { registerUploadApi } from './uploads/routes';

/** The whole JSON API, one line per feature. */
export function registerApi(api: ApiRouter): void {
  registerAuthApi(api);
  registerBankApi(api);
  registerUserApi(api);
  registerQuestionnaireApi(api);
  registerResultsApi(api);
  registerAssignmentApi(api);
  registerVisitApi(api);
  registerReportApi(api);
  registerDisputeApi(api);
  registerActionPlanApi(api);
  registerHrApi(api);
  registerAuditApi(api);
  registerAlertApi(api);
  registerWebhookApi(api);
  registerCalibrationApi(api);
  registerUploadApi(api);
}

/** The OpenAPI document of the whole API, built without serving it (scripts/openapi.ts, the tests). */
export function apiDocument(prefix = '/api/v1'): Record<string, unknown> {
  const api = new ApiRouter(prefix);
  registerApi(api);
  return openApiDocument(api);
}
