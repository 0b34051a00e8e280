import { Types } from 'mongoose';
import { logger } from '../platform/logger';
import { Branch, BranchMove } from './model';

/**
 * A branch that moves to another region takes its past along: every feature that copied the
 * branch's region into its own records (for scope filters without joins) re-tags them, and the kept
 * statistics move the branch's figures, past quarters included (docs/results.md). Those features
 * are above this one, so they say what to do through `onBranchMoved`, registered on the top floor
 * (server/bootstrap.ts). Each follower must be idempotent: a move is applied until all succeed.
 */
export interface BranchMoved {
  bankId: string;
  branchCode: string;
  to: string;
}
export type MoveFollower = (m: BranchMoved) => Promise<void>;

const followers: MoveFollower[] = [];

export function onBranchMoved(follow: MoveFollower): void {
  followers.push(follow);
}

/** Records the moves before the branches change, so that none is forgotten if the process dies. */
export async function noteMoves(bankId: string, moves: { branchCode: string; to: string }[]): Promise<void> {
  if (moves.length === 0) return;
  const at = new Date();
  await BranchMove.insertMany(moves.map((m) => ({ bankId: new Types.ObjectId(bankId), ...m, at })));
}

/** Applies the recorded moves (of one bank, or all), oldest first; a failed one stays for the next round. */
export async function applyMoves(bankId?: string): Promise<number> {
  const pending = await BranchMove.find(bankId ? { bankId } : {})
    .sort({ at: 1 })
    .lean();
  let applied = 0;
  for (const m of pending) {
    const move = { bankId: String(m.bankId), branchCode: m.branchCode, to: m.to };
    try {
      // The import that noted it may have failed (and rolled back), or a later one moved it again.
      const now = await Branch.findOne({ bankId: m.bankId, code: m.branchCode }, { region: 1 }).lean();
      if (now?.region !== m.to) {
        await BranchMove.deleteOne({ _id: m._id });
        continue;
      }
      for (const follow of followers) await follow(move);
      await BranchMove.deleteOne({ _id: m._id });
      applied += 1;
    } catch (e) {
      logger.error({ err: e, ...move }, 'a branch move could not be applied everywhere yet; retried later');
    }
  }
  return applied;
}
