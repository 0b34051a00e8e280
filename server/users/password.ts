import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { config } from '../platform/config';

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

function params() {
  return { N: 1 << config().PASSWORD_HASH_LOG_N, r: 8, p: 1, maxmem: MAXMEM };
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const pr = params();
  const key = await scrypt(password, salt, KEYLEN, pr);
  return `scrypt$${pr.N}$${pr.r}$${pr.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltB64, keyB64] = stored.split('$');
  if (scheme !== 'scrypt' || !saltB64 || !keyB64) return false;
  const expected = Buffer.from(keyB64, 'base64');
  const key = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return crypto.timingSafeEqual(key, expected);
}

/** A throwaway hash so that an unknown e-mail costs as much time as a wrong password. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
  return dummyHash;
}
