import { Types } from 'mongoose';
import { putBranchSummary, rollBranch } from './apply';
import type { BranchEntries } from './branch-build';
import { StatsBranch } from './model';
import { readPacked } from './store';
import { summarizeBranch } from './summaries';

/**
 * A branch moved to another region (banks' import): its figures of every quarter leave the old
 * region's bucket (a summary with no visits stays there, so a late sync cannot bring them back) and
 * join the new region's bucket of the same number; both regions are summed up into the bank again.
 * Past quarters follow the branch (docs/results.md). Runs after the visits were re-tagged, so later
 * syncs carry the new region.
 */
export async function branchMoved(bankId: string, branchCode: string, to: string): Promise<void> {
  const docs = await StatsBranch.find(
    { bankId: new Types.ObjectId(bankId), branchCode },
    { quarter: 1, region: 1 },
  ).lean();
  for (const d of docs) {
    const id = String(d._id);
    const from = d.region;
    await StatsBranch.updateOne({ _id: id }, { $set: { region: to }, $inc: { seq: 1 } });
    const branch = await readPacked<BranchEntries>(StatsBranch, id);
    if (!branch) continue;
    if (from && from !== to)
      await putBranchSummary(bankId, d.quarter, from, branchCode, summarizeBranch({}, branch.seq));
    await rollBranch(bankId, d.quarter, branchCode, to, branch);
  }
}
