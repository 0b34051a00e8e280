import express, { type Router } from 'express';
import { registerActionPlanPages } from './actions/pages';
import { registerAssignmentPages } from './assignments/pages';
import { registerAuthPages } from './auth/pages';
import { registerBankPages } from './banks/pages';
import { bankTimezone } from './banks/service';
import { viewerClock } from './web/clock';
import { registerDisputePages } from './disputes/pages';
import { registerHomePages } from './home/pages';
import { registerHrPages } from './hr/pages';
import { registerReportPages } from './publishing/pages';
import { registerQuestionnairePages } from './questionnaires/pages';
import { registerResultsPages } from './results/pages';
import { registerUserPages } from './users/pages';
import { registerVisitPages } from './visits/pages';
import { registerAuditPages } from './audit/pages';
import { registerAlertPages } from './alerts/pages';
import { registerWebhookPages } from './webhooks/pages';
import { registerCalibrationPages } from './calibration/pages';
import { registerUploadPages } from './uploads/pages';

/** The server-rendered pages: each feature owns its pages and is listed here once. */
export function webRouter(): Router {
  const r = express.Router();
  r.use(viewerClock(bankTimezone));
  registerAuthPages(r);
  registerHomePages(r);
  registerBankPages(r);
  registerUserPages(r);
  registerQuestionnairePages(r);
  registerResultsPages(r);
  registerReportPages(r);
  registerVisitPages(r);
  registerAssignmentPages(r);
  registerDisputePages(r);
  registerActionPlanPages(r);
  registerHrPages(r);
  registerAuditPages(r);
  registerAlertPages(r);
  registerWebhookPages(r);
  registerCalibrationPages(r);
  registerUploadPages(r);
  return r;
}
