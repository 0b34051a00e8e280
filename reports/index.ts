export { renderBankReport } from './bank';
export { renderBranchReport, type BranchReportOptions } from './branch';
export { commonCharacters } from './font-lead';
export { renderRegionReport } from './region';
export type * from './types';
