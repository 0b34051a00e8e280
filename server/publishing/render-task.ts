import { renderBankReport, renderBranchReport, renderRegionReport } from '../../reports';
import type { BranchDetail, ReportSnapshot } from '../../reports/types';

/**
 * One PDF of a close, as the render threads receive it: the snapshot travels to each thread once,
 * a task carries only what differs (a branch's details are plain data, so whatever the snapshot
 * code puts in them is cloned along).
 */
export type RenderTask =
  { kind: 'bank' } | { kind: 'region'; region: string } | { kind: 'branch'; detail: BranchDetail };

/** The same function renders in a worker thread and in process, so both give the same PDF. */
export function renderTask(s: ReportSnapshot, task: RenderTask): Promise<Buffer> {
  if (task.kind === 'bank') return renderBankReport(s);
  if (task.kind === 'region') return renderRegionReport(s, task.region);
  return renderBranchReport({ ...s, branchDetails: [task.detail] }, task.detail.code);
}
