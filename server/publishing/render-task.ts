import { renderBankReport, renderBranchReport, renderRegionReport } from '../../reports';
import type { BranchDetail, BranchFigures, RegionFigures, ReportSnapshot } from '../../reports/types';

/**
 * One PDF of a close. A render thread does not hold the whole snapshot (a large bank's 25,000 branch
 * rows, every region's violations — once per thread): it holds the shared part (`sharedPart`), and
 * each task carries the rest its report reads (`packTask`): a branch report its branch's row and
 * details, a region report its region and that region's branches, the bank report the whole snapshot
 * (one task). In process the very same packing is done, so both give the same PDF.
 */
export type RenderTask =
  { kind: 'bank' } | { kind: 'region'; region: string } | { kind: 'branch'; detail: BranchDetail };

export type PackedTask =
  | { kind: 'bank'; snapshot: ReportSnapshot }
  | { kind: 'region'; region: string; regions: RegionFigures[]; branches: BranchFigures[] }
  | { kind: 'branch'; detail: BranchDetail; branches: BranchFigures[]; fontLead?: string };

/** What every report reads besides its own part: the bank, quarter, bank figures, questionnaires, feedback. */
export function sharedPart(s: ReportSnapshot): ReportSnapshot {
  return { ...s, regions: [], branches: [], violations: [], branchDetails: [] };
}

interface Index {
  branch: Map<string, BranchFigures>;
  region: Map<string, { area: RegionFigures; branches: BranchFigures[] }>;
}
const indexes = new WeakMap<ReportSnapshot, Index>();

function indexOf(s: ReportSnapshot): Index {
  let ix = indexes.get(s);
  if (ix) return ix;
  ix = { branch: new Map(s.branches.map((b) => [b.code, b])), region: new Map() };
  for (const area of s.regions) ix.region.set(area.key, { area, branches: [] });
  // In snapshot order (by code), as the region report's league table lists them.
  for (const b of s.branches) ix.region.get(b.region)?.branches.push(b);
  indexes.set(s, ix);
  return ix;
}

/** `fontLead`: for a branch report, the characters its font subset starts with (reports/font-lead.ts). */
export function packTask(s: ReportSnapshot, task: RenderTask, fontLead?: string): PackedTask {
  if (task.kind === 'bank') return { kind: 'bank', snapshot: s };
  const ix = indexOf(s);
  if (task.kind === 'region') {
    const r = ix.region.get(task.region);
    return { kind: 'region', region: task.region, regions: r ? [r.area] : [], branches: r?.branches ?? [] };
  }
  const b = ix.branch.get(task.detail.code);
  return { kind: 'branch', detail: task.detail, branches: b ? [b] : [], ...(fontLead ? { fontLead } : {}) };
}

/**
 * Renders a packed task against the shared part (a thread's, or the snapshot's own in process).
 * `drawn` gets the characters a branch report drew (to learn a font lead from).
 */
export function renderPacked(shared: ReportSnapshot, t: PackedTask, drawn?: (chars: string) => void): Promise<Buffer> {
  if (t.kind === 'bank') return renderBankReport(t.snapshot);
  if (t.kind === 'region') return renderRegionReport({ ...shared, regions: t.regions, branches: t.branches }, t.region);
  const s = { ...shared, branches: t.branches, branchDetails: [t.detail] };
  return renderBranchReport(s, t.detail.code, { fontLead: t.fontLead, drawn });
}

/** In process: the same packing and the same shared part as a thread gets, so both give the same PDF. */
export function renderTask(s: ReportSnapshot, task: RenderTask): Promise<Buffer> {
  return renderPacked(sharedPart(s), packTask(s, task));
}
