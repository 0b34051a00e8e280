import PDFDocument from 'pdfkit';
import { reportFont } from '../reports/fonts';
import { pdfText } from './helpers/reports';

/**
 * The report font is parsed once per process and shared by every document. A character that first
 * appeared inside another one (in WenQuanYi Micro Hei, 问 is drawn with the glyph of 门) must still be
 * searchable and copyable in a later document: its text mapping (ToUnicode) must not be lost.
 */
async function pdfOf(text: string): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4' });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.registerFont('report', reportFont() as unknown as string);
  doc.font('report').fontSize(12).text(text);
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}

test('a character first met as part of another glyph keeps its text in later documents', async () => {
  expect(pdfText(await pdfOf('请问'))).toContain('请问');
  const later = pdfText(await pdfOf('顾客进门30秒内有员工主动问候；闭门、闪避、间隔'));
  expect(later.replace(/\s+/g, '')).toContain('顾客进门30秒内有员工主动问候；闭门、闪避、间隔');
});
