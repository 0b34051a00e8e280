import { SMTPServer } from 'smtp-server';

/**
 * The receiving mail server: a real smtp-server on loopback that records, per accepted message, when
 * it arrived, its Message-ID, the visit it alerts about (X-Visit-Id) or that it is a report (X-Report-Id),
 * and its size. Only the header block is read (a 2 MB report is not parsed); BENCH_SMTP_DELAY_MS holds
 * every answer to the DATA that long (a slower receiving server).
 */
export interface Arrival {
  at: number;
  messageId: string;
  visitId?: string;
  report: boolean;
  bytes: number;
}

export interface MailSink {
  arrivals: Arrival[];
  close(): Promise<void>;
}

function header(head: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(head);
  return m?.[1].trim();
}

export async function startSink(port: number, delayMs: number): Promise<MailSink> {
  const arrivals: Arrival[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    size: 64 * 1024 * 1024,
    onData(stream, _session, callback) {
      let head = '';
      let bytes = 0;
      stream.on('data', (b: Buffer) => {
        bytes += b.length;
        if (head.length < 16_384 && !head.includes('\r\n\r\n')) head += b.toString('latin1');
      });
      stream.on('end', () => {
        const top = head.split('\r\n\r\n')[0];
        const messageId = header(top, 'Message-ID') ?? '';
        const visitId = header(top, 'X-Visit-Id');
        const report = Boolean(header(top, 'X-Report-Id'));
        setTimeout(() => {
          arrivals.push({ at: Date.now(), messageId, visitId, report, bytes });
          callback();
        }, delayMs);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { arrivals, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
