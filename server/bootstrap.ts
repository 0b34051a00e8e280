import { config } from './platform/config';
import { connectDb, disconnectDb } from './platform/db/connection';
import { logger } from './platform/logger';
import { questionnaireIdsAssignedTo } from './assignments/service';
import { answerAuditorQuestionnairesWith } from './questionnaires/service';
import { ensureFirstAdmin } from './users/service';
import { onOverturn } from './disputes/service';
import { noteOverturns } from './publishing/jobs';

// Every model must be registered before indexes are ensured.
import './models';

/** How lower features ask higher ones, set before anything runs (see docs/architecture.md). */
answerAuditorQuestionnairesWith(questionnaireIdsAssignedTo);
// Publishing hears of an overturn at once (the periodic task in jobs.ts catches up on what failed).
onOverturn(noteOverturns);

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
