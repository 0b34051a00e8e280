/**
 * What the quarter close gives the job registry (server/jobs.ts): the close job and its handler, the
 * optional automatic close, the composer of the report e-mail, and the noting of overturns that call
 * for a corrected version.
 */
export { CLOSE_JOB, markCloseFailed, runCloseJob } from './close';
export { REPORT_MAIL, composeReportMail } from './mail-content';
export { closeDueQuarters } from './schedule';
export { noteOverturns } from './corrections';
