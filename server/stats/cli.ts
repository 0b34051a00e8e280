import { listBanks } from '../banks/service';
import type { Principal } from '../platform/access';
import { isQuarter } from '../rules/quarters';
import { rebuild } from './rebuild';
import { verifyQuarter } from './verify';
import { visitQuarters } from '../visits/service';

/**
 * `stats rebuild [bankCode] [quarter]` and `stats verify [bankCode] [quarter]`: without a bank, every
 * bank; without a quarter, every quarter the bank has visits in. Verify prints each difference,
 * field by field, and exits 1 when there is any.
 */
const OPERATOR: Principal = { id: 'cli', email: 'cli@localhost', name: 'command line', role: 'admin' };

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

async function targets(bankCode: string | undefined, io: Io): Promise<{ id: string; code: string }[] | null> {
  const banks = await listBanks(OPERATOR);
  if (!bankCode) return banks;
  const bank = banks.find((b) => b.code === bankCode);
  if (!bank) io.err(`No bank with code "${bankCode}".\n`);
  return bank ? [bank] : null;
}

export async function statsCommand(args: string[], io: Io): Promise<number> {
  const [verb, bankCode, quarter] = args;
  if ((verb !== 'rebuild' && verb !== 'verify') || (quarter !== undefined && !isQuarter(quarter))) {
    io.err('Usage: stats rebuild|verify [bankCode] [quarter]   e.g. stats verify JNCB 2026-Q3\n');
    return 2;
  }
  const banks = await targets(bankCode, io);
  if (!banks) return 2;
  let differences = 0;
  for (const bank of banks) {
    if (verb === 'rebuild') {
      const t = Date.now();
      const r = await rebuild(bank.id, quarter);
      io.out(
        `${bank.code}: rebuilt ${r.quarters.join(', ') || 'nothing'} (${r.branches} branch records) in ${Date.now() - t} ms\n`,
      );
      continue;
    }
    for (const q of quarter ? [quarter] : await visitQuarters(bank.id)) {
      const found = await verifyQuarter(bank.id, q);
      differences += found.length;
      io.out(
        `${bank.code} ${q}: ${found.length ? `${found.length} differences` : 'the statistics equal the visits'}\n`,
      );
      for (const d of found)
        io.out(
          `  ${d.record} ${d.field}: kept ${JSON.stringify(d.kept)}, recomputed ${JSON.stringify(d.recomputed)}\n`,
        );
    }
  }
  return differences ? 1 : 0;
}
