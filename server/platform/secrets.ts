import crypto from 'node:crypto';
import { config } from './config';

/**
 * Secrets the platform must read back (a user's TOTP secret, a bank's OIDC client secret, the link
 * of a password-reset e-mail waiting in the outbox) are stored sealed: AES-256-GCM under SECRETS_KEY,
 * or, without it, under a key derived from SESSION_SECRET (so rotating SESSION_SECRET then loses them;
 * README "Running in production"). A database copy alone yields none of them.
 *
 * Sealed form: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url). The key id (a hash of the key) makes
 * "sealed under another key" a clear error instead of a failed decryption somewhere deep. `purpose`
 * is bound in as associated data, so a secret sealed for one use cannot be replayed as another.
 */
export class SecretKeyMismatchError extends Error {}

function key(): Buffer {
  const cfg = config();
  if (cfg.SECRETS_KEY) return cfg.SECRETS_KEY;
  return Buffer.from(crypto.hkdfSync('sha256', cfg.sessionSecret, 'msa-secrets', 'sealed secrets v1', 32));
}

function keyId(k: Buffer): string {
  return crypto.createHash('sha256').update(k).digest('base64url').slice(0, 8);
}

export function seal(plaintext: string, purpose: string): string {
  const k = key();
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', k, iv);
  cipher.setAAD(Buffer.from(purpose));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v1',
    keyId(k),
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    ct.toString('base64url'),
  ].join('.');
}

export function unseal(sealed: string, purpose: string): string {
  const [version, id, iv, tag, ct] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not a sealed secret');
  const k = key();
  if (id !== keyId(k))
    throw new SecretKeyMismatchError(
      'a stored secret was sealed under another key: SECRETS_KEY (or SESSION_SECRET without it) changed',
    );
  const decipher = crypto.createDecipheriv('aes-256-gcm', k, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(purpose));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}
