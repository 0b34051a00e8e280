import { config } from '../platform/config';
import { translate, type Locale } from '../platform/i18n';
import type { DeliveryToCompose, MailMessage } from '../platform/mail/outbox';
import { fileName } from './files';
import { Report, ReportFile } from './model';
import { readBlob } from './storage';
import { bankOrNull } from './system';

/** The outbox's kind of the report e-mails (server/jobs.ts registers composeReportMail for it). */
export const REPORT_MAIL = 'report';

/** The report e-mail, in the bank's language, with the bank PDF attached (or linked when large). */
export async function composeReportMail(
  delivery: DeliveryToCompose,
  opts: { attachMaxBytes: number },
): Promise<MailMessage> {
  const { subjectId: reportId, recipient, messageId } = delivery;
  const report = await Report.findById(reportId).lean();
  if (!report) throw new Error(`report ${reportId} not found`);
  const bank = await bankOrNull(String(report.bankId));
  if (!bank) throw new Error(`bank of report ${reportId} not found`);
  const file = await ReportFile.findOne({ reportId: report._id, scope: 'bank' }).lean();
  if (!file) throw new Error(`report ${reportId} has no bank file yet`);
  const lang: Locale = bank.language === 'en' ? 'en' : 'zh';
  const t = (k: string, v: Record<string, unknown> = {}) => translate(lang, `reports.mail.${k}`, v);
  const vars = { bank: bank.name, quarter: report.quarter, version: report.version };
  const attach = file.size <= opts.attachMaxBytes;
  const url = `${config().publicUrl}/reports/${reportId}/files/bank`;
  const lines = [
    t('greeting'),
    '',
    t('body', vars),
    ...(report.version > 1 ? [t('supersedes', { previous: report.version - 1 })] : []),
    attach ? t('attached') : t('link', { url }),
    '',
    t('signoff'),
  ];
  const name = fileName(bank, report, file);
  return {
    from: config().MAIL_FROM,
    to: recipient,
    subject: t('subject', vars),
    text: lines.join('\n'),
    html: lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n'),
    messageId,
    headers: { 'X-Report-Id': reportId, 'X-Report-Version': String(report.version) },
    attachments: attach
      ? [{ filename: name.utf8, content: await readBlob(file.fileId), contentType: 'application/pdf' }]
      : [],
  };
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
