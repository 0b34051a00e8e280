import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { UnsupportedMediaTypeError, ValidationError } from './errors';

export interface TabularRow {
  /** The spreadsheet row number as a person sees it: the header is row 1, the first data row is 2. */
  row: number;
  values: Record<string, string>;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export type TabularKind = 'csv' | 'xlsx';

/** Decides by content, never by name or declared type: a ZIP container is XLSX, valid UTF-8 text is CSV. */
export function sniffTabular(buf: Buffer): TabularKind {
  if (buf.length === 0) throw new UnsupportedMediaTypeError('The file is empty', 'empty_file');
  if (buf.subarray(0, 4).equals(ZIP_MAGIC)) return 'xlsx';
  if (buf.includes(0)) throw new UnsupportedMediaTypeError('The file is neither UTF-8 CSV nor XLSX');
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new UnsupportedMediaTypeError('The file is neither UTF-8 CSV nor XLSX (CSV must be UTF-8)');
  }
  return 'csv';
}

export async function readTabular(
  buf: Buffer,
  columns: { required: string[]; optional: string[] },
  maxRows: number,
): Promise<TabularRow[]> {
  const kind = sniffTabular(buf);
  const table = kind === 'csv' ? readCsv(buf) : await readXlsx(buf);
  const [header, ...body] = table;
  const names = (header ?? []).map((h) => h.trim());
  const missing = columns.required.filter((c) => !names.includes(c));
  const known = new Set([...columns.required, ...columns.optional]);
  const unknown = names.filter((n) => n && !known.has(n));
  // With a column given twice, one of the two would silently win.
  const repeated = [...new Set(names.filter((n, i) => n && names.indexOf(n) !== i))];
  if (missing.length || unknown.length || repeated.length) {
    throw new ValidationError(
      [
        ...missing.map((c) => ({ field: c, row: 1, message: 'required column is missing' })),
        ...unknown.map((c) => ({ field: c, row: 1, message: 'unknown column' })),
        ...repeated.map((c) => ({ field: c, row: 1, message: 'column appears more than once' })),
      ],
      'The header row does not match the expected columns',
      'bad_columns',
    );
  }
  const rows: TabularRow[] = [];
  body.forEach((cells, i) => {
    if (cells.every((c) => c.trim() === '')) return;
    const values: Record<string, string> = {};
    names.forEach((n, j) => {
      const v = (cells[j] ?? '').trim();
      if (n && v !== '') values[n] = v;
    });
    rows.push({ row: i + 2, values });
  });
  if (rows.length > maxRows)
    throw new ValidationError([{ message: `at most ${maxRows} rows per file` }], 'Too many rows', 'too_many_rows');
  return rows;
}

function readCsv(buf: Buffer): string[][] {
  try {
    return parse(buf, { bom: true, relax_column_count: true, skip_empty_lines: false, trim: false }) as string[][];
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw new ValidationError(
      [{ row: line, message: (e as Error).message }],
      'The CSV file could not be parsed',
      'bad_csv',
    );
  }
}

async function readXlsx(buf: Buffer): Promise<string[][]> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    throw new UnsupportedMediaTypeError('The file is a ZIP archive but not a readable XLSX workbook');
  }
  const sheet = wb.worksheets[0];
  if (!sheet) return [];
  const out: string[][] = [];
  for (let r = 1; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const cells: string[] = [];
    for (let c = 1; c <= Math.max(row.cellCount, sheet.columnCount); c++) cells.push(cellText(row.getCell(c).value));
    out.push(cells);
  }
  return out;
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    if (v instanceof Date) return v.toISOString();
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('text' in v) return String(v.text);
    if ('result' in v) return v.result === undefined ? '' : String(v.result);
    return '';
  }
  return String(v);
}
