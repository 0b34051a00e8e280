import { findBranch } from '../banks/service';

/** The branches of a quarter's scorecards by code, with their names and regions (for pages and people's exports). */
export interface BranchWords {
  name: string;
  region: string;
}

export async function branchesOf(bankId: string, codes: Iterable<string>): Promise<Map<string, BranchWords>> {
  const out = new Map<string, BranchWords>();
  for (const code of new Set(codes)) {
    const b = await findBranch(bankId, code);
    if (b) out.set(code, { name: b.name, region: b.region });
  }
  return out;
}

/** "城东支行 (N1)", or the code alone for a branch no longer in the bank's list. */
export const branchLabel = (code: string, b: BranchWords | undefined): string => (b ? `${b.name} (${code})` : code);
