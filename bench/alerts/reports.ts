import crypto from 'node:crypto';
import { Types } from 'mongoose';

/**
 * A quarter's bank report as a close leaves it (a ready report, its bank PDF in GridFS) and its
 * e-mails queued to `recipients` report readers, through the outbox as the close queues them: the
 * backlog the alerts must not wait behind. The PDF is `mb` megabytes (a PDF header and random bytes:
 * what matters here is its weight on the wire and in the database, not its pages).
 */
export async function queueReportMails(bankId: string, recipients: number, mb: number): Promise<void> {
  const { Report, ReportFile } = await import('../../server/publishing/model');
  const { storeBlob } = await import('../../server/publishing/storage');
  const { queueDeliveries } = await import('../../server/platform/mail/outbox');
  const reportId = new Types.ObjectId();
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), crypto.randomBytes(Math.round(mb * 1024 * 1024))]);
  const blob = await storeBlob(pdf, 'bank.pdf', {
    reportId: String(reportId),
    scope: 'bank',
    contentType: 'application/pdf',
  });
  await Report.create({ _id: reportId, bankId, quarter: '2026-Q3', version: 1, status: 'ready', readyAt: new Date() });
  await ReportFile.create({
    reportId,
    bankId,
    scope: 'bank',
    kind: 'bank',
    name: '基准银行',
    fileId: blob.fileId,
    size: blob.size,
    chunks: blob.chunks,
    sha256: blob.sha256,
  });
  const readers = Array.from({ length: recipients }, (_, i) => `reader${i}@bnk.bench`);
  await queueDeliveries({ kind: 'report', id: reportId, bankId: new Types.ObjectId(bankId) }, readers);
}
