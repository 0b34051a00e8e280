import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { DateTime } from 'luxon';
import { UnsupportedMediaTypeError, ValidationError } from './errors';

export interface TabularRow {
  /** The spreadsheet row number as a person sees it: the header is row 1, the first data row is 2. */
  row: number;
  values: Record<string, string>;
  /** Cells that could not be read as written (a date and time that does not exist in the zone); the row is refused. */
  problems?: { column: string; message: string }[];
}

export interface TabularOptions {
  /**
   * The zone in which the file's date cells are meant (the bank's). An XLSX date cell holds a wall
   * time without any zone ("1 July 2026 09:00"); with a zone it is read as that time there and given
   * with its offset, without one it is given as the bare wall time.
   */
  timeZone?: string;
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
  options: TabularOptions = {},
): Promise<TabularRow[]> {
  const kind = sniffTabular(buf);
  const table = kind === 'csv' ? readCsv(buf) : await readXlsx(buf, options.timeZone);
  const [header, ...body] = table;
  const names = (header ?? []).map((h) => cellString(h).trim());
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
    if (cells.every((c) => cellString(c).trim() === '')) return;
    const values: Record<string, string> = {};
    const problems: { column: string; message: string }[] = [];
    names.forEach((n, j) => {
      const cell = cells[j] ?? '';
      if (n && typeof cell !== 'string') problems.push({ column: n, message: cell.problem });
      const v = cellString(cell).trim();
      if (n && v !== '') values[n] = v;
    });
    rows.push(problems.length ? { row: i + 2, values, problems } : { row: i + 2, values });
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

/** A cell as read: its text, or why it could not be read. */
type Cell = string | { problem: string };
const cellString = (c: Cell): string => (typeof c === 'string' ? c : '');

async function readXlsx(buf: Buffer, timeZone: string | undefined): Promise<Cell[][]> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    throw new UnsupportedMediaTypeError('The file is a ZIP archive but not a readable XLSX workbook');
  }
  const sheet = wb.worksheets[0];
  if (!sheet) return [];
  const out: Cell[][] = [];
  for (let r = 1; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const cells: Cell[] = [];
    for (let c = 1; c <= Math.max(row.cellCount, sheet.columnCount); c++)
      cells.push(cellText(row.getCell(c).value, timeZone));
    out.push(cells);
  }
  return out;
}

function cellText(v: ExcelJS.CellValue, timeZone: string | undefined): Cell {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return dateCell(v, timeZone);
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('text' in v) return String(v.text);
    if ('result' in v) return v.result instanceof Date ? dateCell(v.result, timeZone) : String(v.result ?? '');
    return '';
  }
  return String(v);
}

/**
 * ExcelJS turns a date cell's serial number into a Date as if the wall time were UTC; the UTC fields
 * are therefore the wall time the person typed. With a zone that wall time is placed in it (a time
 * that the zone skips or repeats at a clock change is refused rather than guessed).
 */
function dateCell(d: Date, timeZone: string | undefined): Cell {
  const t = new Date(Math.round(d.getTime() / 1000) * 1000); // serial numbers carry float noise
  const wall = {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hour: t.getUTCHours(),
    minute: t.getUTCMinutes(),
    second: t.getUTCSeconds(),
  };
  const bare = DateTime.fromObject(wall, { zone: 'UTC' });
  const written = bare.toFormat(wall.hour || wall.minute || wall.second ? 'yyyy-MM-dd HH:mm:ss' : 'yyyy-MM-dd');
  if (!timeZone) return written;
  const local = DateTime.fromObject(wall, { zone: timeZone });
  if (!local.isValid) return { problem: `${written} cannot be read in the time zone ${timeZone}` };
  if (local.toFormat('yyyy-MM-dd HH:mm:ss') !== bare.toFormat('yyyy-MM-dd HH:mm:ss'))
    return { problem: `${written} does not exist in ${timeZone} (the clocks skip it); write the time with its offset` };
  if (local.getPossibleOffsets().length > 1)
    return { problem: `${written} happens twice in ${timeZone} (the clocks go back); write the time with its offset` };
  return local.toISO({ suppressMilliseconds: true }) as string;
}
