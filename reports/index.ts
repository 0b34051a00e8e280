export { renderBankReport } from './bank';
export { renderBranchReport } from './branch';
export { renderRegionReport } from './region';
export type * from './types';
