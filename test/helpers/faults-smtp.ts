import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../server/platform/db/embedded';

/** For the fault suite and the mail tests: a real SMTP server (smtp-server) that can misbehave. */
export interface Received {
  to: string[];
  messageId: string;
  mail: ParsedMail;
}

/** What the server does with a complete message: accept it (250), refuse it for now (451), or never answer. */
export type Verdict = 'accept' | 'reject' | 'hold';

export interface TestSmtp {
  port: number;
  /** Accepted messages only. */
  received: Received[];
  listening(): boolean;
  listen(): Promise<void>;
  close(): Promise<void>;
}

/**
 * smtp-server on loopback. `decide` is asked for every message once its data is complete, before the
 * server answers; a message counts as received only when it was accepted.
 */
export async function testSmtp(
  decide: (mail: ParsedMail, to: string[]) => Promise<Verdict> | Verdict,
): Promise<TestSmtp> {
  let port = await freePort();
  let listened = false;
  const received: Received[] = [];
  let server: SMTPServer | undefined;
  const make = () =>
    new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          simpleParser(Buffer.concat(chunks))
            .then(async (mail) => {
              const verdict = await decide(mail, to);
              if (verdict === 'hold') return;
              if (verdict === 'reject')
                return callback(Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }));
              received.push({ to, messageId: mail.messageId ?? '', mail });
              callback();
            })
            .catch((e: Error) => callback(e));
        });
      },
    });
  const listenOnce = () =>
    new Promise<void>((resolve, reject) => {
      server = make();
      server.on('error', () => undefined); // a client killed mid-session is expected here
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  return {
    get port() {
      return port;
    },
    received,
    listening: () => Boolean(server),
    async listen() {
      // The port was free when chosen, but another process may take it before the first listen
      // (an outgoing connection's ephemeral port): then another is chosen. Later listens (the
      // server coming back) keep the port the app was told.
      for (let attempt = 0; ; attempt++) {
        try {
          await listenOnce();
          listened = true;
          return;
        } catch (e) {
          server = undefined;
          const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
          if (listened || !inUse || attempt >= 4) throw e;
          port = await freePort();
        }
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        const s = server;
        server = undefined;
        s.close(() => resolve());
      }),
  };
}
