import { getBank, type BankView } from '../banks/service';
import type { Principal } from '../platform/access';
import { NotFoundError } from '../platform/errors';

/**
 * The quarter close works as the system, not as a user: the job, the schedule and the e-mails read
 * every bank's data with this principal (the request that queued the close was checked already).
 */
export const SYSTEM: Principal = {
  id: '000000000000000000000000',
  email: 'reports@system',
  name: 'quarter close',
  role: 'admin',
};

/** The bank, or null when it no longer exists. */
export async function bankOrNull(bankId: string): Promise<BankView | null> {
  try {
    return await getBank(SYSTEM, bankId);
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}
