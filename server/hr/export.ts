import ExcelJS from 'exceljs';
import { DateTime } from 'luxon';
import { formatScore, roundScore, SECTION_KEYS } from '../rules/scoring';
import type { BranchWords } from './branches';
import type { ScoreVisit, Scorecards, ScorecardRow } from './service';

/**
 * Scorecards for the bank's HR system: one row per staff member, stable English column names,
 * scores with one decimal as everywhere they are shown. CSV is UTF-8 with a BOM so that Excel
 * shows Chinese names correctly; lines end in CRLF (RFC 4180).
 */
export const COLUMNS = [
  'quarter',
  'employeeId',
  'name',
  'branchCode',
  'n',
  ...SECTION_KEYS,
  'total',
  'previousTotal',
  'change',
  'disputed',
  // SPEC §11: how far the total can be trusted.
  'ci95Low',
  'ci95High',
  'smallSample',
  'changeP',
  'changeSignificant',
  // The visits the score rests on (issue 18), auditors by pseudonym only.
  'visits',
] as const;

/** The visits each scorecard rests on, and the bank's time zone their times are written in. */
export interface ExportVisits {
  timezone: string;
  byStaff: ReadonlyMap<string, readonly ScoreVisit[]>;
}

/** A visit in one line of a cell: "2026-05-10 12:00 Asia/Shanghai · SH01 · 85.0 · A-7K2Q". */
function visitLine(v: ScoreVisit, timezone: string): string {
  const at = DateTime.fromISO(v.visitedAt).setZone(timezone).toFormat('yyyy-MM-dd HH:mm');
  return [`${at} ${timezone}`, v.branchCode, formatScore(v.total), v.auditorCode ?? '–'].join(' · ');
}

/**
 * The people's edition (the download from the HR page, issue 20): headers in the page's language
 * and each branch's name and region beside its code. The API's export keeps the stable English
 * columns above, which HR systems import by name.
 */
export interface PeopleEdition {
  header: (column: string) => string;
  yes: string;
  no: string;
  branches: ReadonlyMap<string, BranchWords>;
}

const PEOPLE_COLUMNS = [...COLUMNS.slice(0, 4), 'branchName', 'region', ...COLUMNS.slice(4)] as const;

type Cell = string | number | null;
const score = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? roundScore(v) : null;

function cells(quarter: string, r: ScorecardRow, visits: ExportVisits, people?: PeopleEdition): Cell[] {
  const plain = machineCells(quarter, r, visits);
  if (!people) return plain;
  const b = people.branches.get(r.branchCode);
  const worded = plain.map((c) => (c === 'yes' ? people.yes : c === 'no' ? people.no : c));
  return [...worded.slice(0, 4), b?.name ?? '', b?.region ?? '', ...worded.slice(4)];
}

function machineCells(quarter: string, r: ScorecardRow, visits: ExportVisits): Cell[] {
  return [
    quarter,
    r.employeeId,
    r.name,
    r.branchCode,
    r.n,
    ...SECTION_KEYS.map((k) => score(r.sections[k])),
    score(r.total),
    score(r.previous?.total),
    score(r.change),
    r.disputed,
    score(r.ci95?.[0]),
    score(r.ci95?.[1]),
    r.smallSample ? 'yes' : 'no',
    r.changeTest?.p === null || r.changeTest?.p === undefined ? null : Number(r.changeTest.p.toFixed(4)),
    r.changeTest?.significant === null || r.changeTest?.significant === undefined
      ? null
      : r.changeTest.significant
        ? 'yes'
        : 'no',
    (visits.byStaff.get(r.employeeId) ?? []).map((v) => visitLine(v, visits.timezone)).join('; '),
  ];
}

/** A text that a spreadsheet would run as a formula is prefixed with an apostrophe (CSV injection). */
function safeText(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

/** Scores carry one decimal (as shown everywhere); a p value keeps its four. */
const numberText = (v: number): string =>
  Number.isInteger(v) ? v.toFixed(0) : roundScore(v) === v ? v.toFixed(1) : String(v);

function csvField(v: Cell): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? numberText(v) : safeText(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const headerRow = (people?: PeopleEdition): string[] =>
  people ? PEOPLE_COLUMNS.map((c) => people.header(c)) : [...COLUMNS];

export function scorecardsCsv(s: Scorecards, visits: ExportVisits, people?: PeopleEdition): Buffer {
  const lines = [
    headerRow(people).map(csvField).join(','),
    ...s.rows.map((r) => cells(s.quarter, r, visits, people).map(csvField).join(',')),
  ];
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}

const VISIT_COLUMNS = [
  'employeeId',
  'name',
  'visitedAt',
  'timezone',
  'branchCode',
  'branchName',
  'total',
  'auditor',
  'disputed',
];

/** The second sheet: one row per staff member and visit their score rests on. */
function addVisitSheet(wb: ExcelJS.Workbook, s: Scorecards, visits: ExportVisits, people?: PeopleEdition): void {
  const sheet = wb.addWorksheet(`Visits ${s.quarter}`);
  sheet.addRow(people ? VISIT_COLUMNS.map((c) => people.header(c)) : VISIT_COLUMNS).font = { bold: true };
  for (const r of s.rows)
    for (const v of visits.byStaff.get(r.employeeId) ?? [])
      sheet.addRow([
        r.employeeId,
        safeText(r.name),
        DateTime.fromISO(v.visitedAt).setZone(visits.timezone).toFormat('yyyy-MM-dd HH:mm'),
        visits.timezone,
        safeText(v.branchCode),
        safeText(v.branchName),
        score(v.total),
        safeText(v.auditorCode ?? ''),
        v.disputed ? (people?.yes ?? 'yes') : (people?.no ?? 'no'),
      ]);
  VISIT_COLUMNS.forEach((c, i) => {
    sheet.getColumn(i + 1).width = c === 'branchName' || c === 'visitedAt' ? 18 : 12;
  });
  sheet.getColumn(VISIT_COLUMNS.indexOf('total') + 1).numFmt = '0.0';
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
}

export async function scorecardsXlsx(s: Scorecards, visits: ExportVisits, people?: PeopleEdition): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.created = new Date();
  const sheet = wb.addWorksheet(`Scorecards ${s.quarter}`);
  sheet.addRow(headerRow(people)).font = { bold: true };
  for (const r of s.rows)
    sheet.addRow(cells(s.quarter, r, visits, people).map((c) => (typeof c === 'string' ? safeText(c) : c)));
  (people ? PEOPLE_COLUMNS : COLUMNS).forEach((c: string, i) => {
    const col = sheet.getColumn(i + 1);
    col.width = c === 'name' || c === 'branchName' ? 18 : c === 'visits' ? 60 : 14;
    if ([...SECTION_KEYS, 'total', 'previousTotal', 'change', 'ci95Low', 'ci95High'].includes(c)) col.numFmt = '0.0';
  });
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  addVisitSheet(wb, s, visits, people);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const exportName = (s: Scorecards, ext: 'csv' | 'xlsx') => `scorecards-${s.bankCode}-${s.quarter}.${ext}`;
