import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { config } from '../platform/config';
import { ServiceUnavailableError } from '../platform/errors';
import { Gate } from '../platform/gate';

const scrypt = promisify(crypto.scrypt) as (
  pw: string,
  salt: Buffer,
  keylen: number,
  opts: crypto.ScryptOptions,
) => Promise<Buffer>;

// scrypt with N=2^15, r=8 by default: ~50-100 ms per hash on this class of machine, memory-hard (32 MiB).
// The parameters are stored with each hash, so raising the cost later keeps old hashes verifiable.
const KEYLEN = 32;
const MAXMEM = 256 * 1024 * 1024;

/**
 * Every scrypt call holds one of libuv's few threads (4 by default) for ~100 ms, the threads file
 * reads and DNS also need: without a bound, a flood of sign-ins (each costs a hash, unknown e-mails
 * included) would starve the whole process. Hashes take turns here; a sign-in that finds the queue
 * full is turned away at once with 503 (the client retries), while hashing a new password (an
 * admin's or the user's own action) waits for its turn.
 */
export const passwordHashGate = new Gate(
  () => config().PASSWORD_HASH_CONCURRENCY,
  () => config().PASSWORD_HASH_QUEUE,
);
const busy = () =>
  new ServiceUnavailableError('Too many sign-ins at this moment; try again in a few seconds', 'sign_in_busy');

function params() {
  return { N: 1 << config().PASSWORD_HASH_LOG_N, r: 8, p: 1, maxmem: MAXMEM };
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const pr = params();
  const key = await passwordHashGate.run(() => scrypt(password, salt, KEYLEN, pr));
  return `scrypt$${pr.N}$${pr.r}$${pr.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltB64, keyB64] = stored.split('$');
  if (scheme !== 'scrypt' || !saltB64 || !keyB64) return false;
  const expected = Buffer.from(keyB64, 'base64');
  const options = { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM };
  const key = await passwordHashGate.run(
    () => scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, options),
    { refuse: busy },
  );
  return crypto.timingSafeEqual(key, expected);
}

/** A throwaway hash so that an unknown e-mail costs as much time as a wrong password. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
  return dummyHash;
}
