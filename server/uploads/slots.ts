import { AppError } from '../platform/errors';
import { config } from '../platform/config';
import { claimedAt, release, tryClaim } from '../platform/db/write-claims';

/**
 * At most UPLOAD_MAX_OPEN_PER_USER open resumable uploads per auditor: each open upload holds one of
 * the auditor's numbered slots, a write claim (`upload-slot:<owner>:<n>`, an insert under a unique
 * key), so two declarations at the same moment can never both take the last one. The slot is given
 * back when the upload completes, is cancelled or is purged as abandoned. A slot whose upload was never
 * written (its process died between the two inserts) is taken back once it is older than ORPHAN_MS,
 * far longer than a declaration takes. The claims carry no expiry: an upload still being sent after
 * the resume window keeps its slot until it completes, is cancelled or is purged.
 */
const ORPHAN_MS = 60_000;

export const slotKey = (ownerId: string, n: number) => `upload-slot:${ownerId}:${n}`;

export function tooManyOpen(max: number): AppError {
  return new AppError(
    422,
    'too_many_open_uploads',
    `At most ${max} uploads may be open at once per auditor (UPLOAD_MAX_OPEN_PER_USER); complete or cancel one first`,
    [{ field: 'uploads', message: `at most ${max} open at once`, limit: max }],
  );
}

/**
 * A free slot of this auditor, or 422 `too_many_open_uploads`. `inUse` says which slots open uploads
 * really hold (asked only when every slot looks taken).
 */
export async function takeSlot(ownerId: string, inUse: () => Promise<Set<string>>): Promise<string> {
  const max = config().UPLOAD_MAX_OPEN_PER_USER;
  for (let n = 0; n < max; n++) {
    const key = slotKey(ownerId, n);
    if (await tryClaim(key)) return key;
  }
  const used = await inUse();
  for (let n = 0; n < max; n++) {
    const key = slotKey(ownerId, n);
    if (used.has(key)) continue;
    const at = await claimedAt(key);
    if (at && Date.now() - at.getTime() < ORPHAN_MS) continue;
    if (at) await release({ key, at });
    if (await tryClaim(key)) return key;
  }
  throw tooManyOpen(max);
}

export async function giveBackSlot(key: string | null | undefined): Promise<void> {
  if (!key) return;
  const at = await claimedAt(key);
  if (at) await release({ key, at });
}
