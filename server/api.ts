import { registerAuthApi } from './auth/routes';
import { registerBankApi } from './banks/routes';
import type { ApiRouter } from './platform/http/api-router';
import { registerUserApi } from './users/routes';
import { registerResultsApi } from './results/routes';
import { registerQuestionnaireApi } from './questionnaires/routes';
import { registerAssignmentApi } from './assignments/routes';
import { registerVisitApi } from './visits/routes';
import { registerReportApi } from './publishing/routes';
import { registerDisputeApi } from './disputes/routes';
import { registerActionPlanApi } from './actions/routes';
import { registerHrApi } from './hr/routes';
import { registerCalibrationApi } from './calibration/routes';

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
  registerCalibrationApi(api);
}
