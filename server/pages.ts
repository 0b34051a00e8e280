import express, { type Router } from 'express';
import { signInRateLimit } from './platform/http/rate-limit';
import { doLogin, doLogout, loginRateLimited, showLogin, switchLanguage } from './auth/pages';
import { homePage } from './home/pages';
import { registerAdminPages } from './web/admin-pages';
import { registerQuestionnairePages } from './questionnaires/pages';
import { registerResultsPages } from './results/pages';
import { registerReportPages } from './publishing/pages';
import { registerVisitPages } from './visits/pages';
import { registerAssignmentPages } from './assignments/pages';
import { registerDisputePages } from './disputes/pages';
import { registerActionPlanPages } from './actions/pages';
import { registerHrPages } from './hr/pages';

/** The server-rendered pages; each feature's pages are listed here. */
export function webRouter(): Router {
  const r = express.Router();
  r.get('/login', showLogin);
  r.post('/login', signInRateLimit(), doLogin, loginRateLimited);
  r.post('/logout', doLogout);
  r.get('/lang/:locale', switchLanguage);
  r.get('/', homePage);
  registerAdminPages(r);
  registerQuestionnairePages(r);
  registerResultsPages(r);
  registerReportPages(r);
  registerVisitPages(r);
  registerAssignmentPages(r);
  registerDisputePages(r);
  registerActionPlanPages(r);
  registerHrPages(r);
  return r;
}
