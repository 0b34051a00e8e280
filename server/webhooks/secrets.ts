import crypto from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { config } from '../platform/config';

/**
 * Signing secrets: `whsec_` + base64 of 24 random bytes (Standard Webhooks), shown once when the
 * endpoint is created. The app must sign with it later, so it cannot be hashed like a password: it
 * is kept sealed with AES-256-GCM under WEBHOOK_SECRET_KEY (or SESSION_SECRET), so a copy of the
 * database alone does not let anyone forge the platform's webhooks.
 */
export function newSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString('base64')}`;
}

function key(): Buffer {
  const c = config();
  return crypto
    .createHash('sha256')
    .update(`webhook-secrets:${c.WEBHOOK_SECRET_KEY ?? c.sessionSecret}`)
    .digest();
}

export function sealSecret(secret: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key(), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join('.');
}

export function openSecret(sealed: string): string {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || !data) throw new Error('unreadable webhook secret');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key(), Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
}

/** The three Standard Webhooks headers of one attempt (the timestamp is the attempt's, the id the event's). */
export function signedHeaders(secret: string, eventId: string, body: string, at = new Date()): Record<string, string> {
  const seconds = Math.floor(at.getTime() / 1000);
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': new Webhook(secret).sign(eventId, new Date(seconds * 1000), body),
  };
}
