import { bankTimezone } from '../banks/service';
import type { Principal } from '../platform/access';
import { DEFAULT_TIMEZONE } from '../rules/quarters';

/** Times in the log are read and shown in the reader's bank's zone; the audit firm reads the default zone. */
export async function readerZone(p: Principal): Promise<string> {
  return (p.bankId ? await bankTimezone(p.bankId) : null) ?? DEFAULT_TIMEZONE;
}
