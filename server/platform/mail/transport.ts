import fs from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { config } from '../config';

/**
 * Where report e-mails go: the SMTP server of `SMTP_URL`, or without one `.eml` files in the
 * outbox folder (`OUTBOX_DIR`), which a person can open or hand to any mail program.
 */
export interface SentInfo {
  messageId: string;
  /** The outbox file, when no SMTP server is configured. */
  file?: string;
}

let smtp: { url: string; transport: Transporter } | undefined;

function smtpTransport(url: string): Transporter {
  if (smtp?.url !== url) {
    // Short timeouts: a dead server must fail the attempt well inside the delivery's lease.
    smtp = {
      url,
      transport: nodemailer.createTransport(url, {
        connectionTimeout: 20_000,
        greetingTimeout: 20_000,
        socketTimeout: 60_000,
      } as object),
    };
  }
  return smtp.transport;
}

/** The outbox file name is stable per message, so a retried attempt overwrites instead of adding a copy. */
function outboxName(messageId: string): string {
  return `${messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_')}.eml`;
}

export async function sendMail(message: Mail.Options & { messageId: string }): Promise<SentInfo> {
  const cfg = config();
  if (cfg.SMTP_URL) {
    const info = await smtpTransport(cfg.SMTP_URL).sendMail(message);
    if (Array.isArray(info.rejected) && info.rejected.length)
      throw new Error(`rejected by the SMTP server: ${info.rejected.join(', ')}`);
    return { messageId: message.messageId };
  }
  const built = await nodemailer
    .createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
    .sendMail(message);
  const dir = cfg.OUTBOX_DIR ?? path.join(cfg.DATA_DIR, 'outbox');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, outboxName(message.messageId));
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, built.message as Buffer);
  fs.renameSync(tmp, file);
  return { messageId: message.messageId, file };
}
