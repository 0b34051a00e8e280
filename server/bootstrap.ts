import { config } from './platform/config';
import { connectDb, disconnectDb } from './platform/db/connection';
import { logger } from './platform/logger';
import * as actions from './actions/service';
import * as assignments from './assignments/service';
import { questionnaireIdsAssignedTo } from './assignments/service';
import { onBranchMoved } from './banks/service';
import * as disputes from './disputes/service';
import * as stats from './stats/service';
import * as visits from './visits/service';
import { answerAuditorQuestionnairesWith } from './questionnaires/service';
import { ensureFirstAdmin } from './users/service';
import { noteOverturns } from './publishing/jobs';

// Every model must be registered before indexes are ensured.
import './models';

/** How lower features ask higher ones, set before anything runs (see docs/architecture.md). */
answerAuditorQuestionnairesWith(questionnaireIdsAssignedTo);
// A branch moved to another region: what carries its region follows, the statistics last.
onBranchMoved((m) => visits.retagRegion(m.bankId, m.branchCode, m.to));
onBranchMoved((m) => assignments.retagRegion(m.bankId, m.branchCode, m.to));
onBranchMoved((m) => disputes.retagRegion(m.bankId, m.branchCode, m.to));
onBranchMoved((m) => actions.retagRegion(m.bankId, m.branchCode, m.to));
onBranchMoved((m) => stats.branchMoved(m.bankId, m.branchCode, m.to));
// Publishing hears of an overturn at once (the periodic task in jobs.ts catches up on what failed).
disputes.onOverturn(noteOverturns);

/** Connects the database (starting the embedded one when needed) and creates the first admin. */
export async function startServices(): Promise<void> {
  const db = await connectDb();
  logger.info({ embedded: db.embedded }, 'database connected');
  const admin = await ensureFirstAdmin(config().ADMIN_EMAIL, config().ADMIN_PASSWORD);
  if (admin) logger.info({ email: admin.email }, 'first admin created from ADMIN_EMAIL');
}

export async function stopServices(): Promise<void> {
  await disconnectDb();
}
