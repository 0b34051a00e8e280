import type { Principal } from '../../server/platform/access';
import type { Level } from '../../server/results/schema';
import type { ResultRow, ResultsInput, ResultsReport } from '../../server/results/types';
import type { LargeBank } from './generate';

/**
 * The reads of the targets, each as the HTTP request a person's browser or client sends to
 * the app, and as the same question put to the streaming path (`resultsFromVisits`, in-process).
 */
export interface ReadKind {
  name: string;
  label: string;
  targetMs: number;
  request(base: string): Promise<{ status: number; ms: number; bytes: number }>;
  principal: Principal;
  input: ResultsInput;
  want: ReadonlySet<Level>;
}

async function timed(url: string, headers: Record<string, string>) {
  const t0 = performance.now();
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(120_000) });
  const body = await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0, bytes: body.byteLength };
}

export async function readKinds(base: string, w: LargeBank): Promise<ReadKind[]> {
  const { tokenOf } = await import('../../test/helpers/faults');
  const { webSession } = await import('../load/http');
  const manager = await tokenOf(base, 'manager@bench.local', w.password);
  const hr = await tokenOf(base, 'hr@bench.local', w.password);
  const cookie = await webSession(base, 'manager@bench.local', w.password);
  const managerP: Principal = {
    id: w.users.manager,
    email: 'manager@bench.local',
    name: '总行经理',
    role: 'bank_manager',
    bankId: w.bankId,
    scope: { type: 'bank' },
  };
  const hrP: Principal = {
    id: w.users.regionHr,
    email: 'hr@bench.local',
    name: '区域人力',
    role: 'hr',
    bankId: w.bankId,
    scope: { type: 'region', region: w.region },
  };
  const q = `bankId=${w.bankId}&quarter=${w.quarter}`;
  const api = (query: string) => (b: string) =>
    timed(`${b}/api/v1/results?${query}`, { Authorization: `Bearer ${manager}` });
  const bankInput = { bankId: w.bankId, quarter: w.quarter };
  return [
    {
      name: 'bank',
      label: '`GET /api/v1/results` level=bank (whole-bank manager)',
      targetMs: 200,
      request: api(`${q}&level=bank`),
      principal: managerP,
      input: bankInput,
      want: new Set(['bank']),
    },
    {
      name: 'region',
      label: '`GET /api/v1/results` level=region (50 regions)',
      targetMs: 200,
      request: api(`${q}&level=region`),
      principal: managerP,
      input: bankInput,
      want: new Set(['region']),
    },
    {
      name: 'branch',
      label: `\`GET /api/v1/results\` level=branch&region= one region (${w.branches / 50} branches)`,
      targetMs: 200,
      request: api(`${q}&level=branch&region=${encodeURIComponent(w.region)}`),
      principal: managerP,
      input: { ...bankInput, region: w.region },
      want: new Set(['branch']),
    },
    {
      name: 'page',
      label: '`GET /results` page of the whole bank (web session)',
      targetMs: 500,
      request: (b) => timed(`${b}/results?quarter=${w.quarter}`, { Cookie: cookie }),
      principal: managerP,
      input: bankInput,
      want: new Set(['bank', 'region', 'branch']),
    },
    {
      name: 'hr',
      label: '`GET /api/v1/staff/scorecards` (HR of one region)',
      targetMs: 300,
      request: (b) => timed(`${b}/api/v1/staff/scorecards?quarter=${w.quarter}`, { Authorization: `Bearer ${hr}` }),
      principal: hrP,
      input: bankInput,
      want: new Set(['staff']),
    },
  ];
}

export async function streamOnce(k: ReadKind, _w: LargeBank): Promise<{ ms: number; report: ResultsReport }> {
  const { resultsFromVisits } = await import('../../server/results/visit-pass');
  const t0 = performance.now();
  const report = await resultsFromVisits(k.principal, k.input, k.want);
  return { ms: performance.now() - t0, report };
}

export interface Check {
  name: string;
  rows: number;
  countDiffs: number;
  maxScoreDiff: number;
}

const rowsOf = (r: ResultsReport, want: ReadonlySet<Level>): ResultRow[] => [
  r.summary,
  ...(want.has('bank') && r.bank ? [r.bank] : []),
  ...(want.has('region') ? r.regions : []),
  ...(want.has('branch') ? r.branches : []),
  ...(want.has('staff') ? r.staff : []),
];

/** The kept statistics' answer (what the app serves) against the streaming path's, row by row. */
export async function checkAgainstStream(
  _uri: string,
  k: ReadKind,
  w: LargeBank,
  streamed: ResultsReport,
): Promise<Check> {
  const { quarterResults } = await import('../../server/results/service');
  const kept = await quarterResults(k.principal, k.input, k.want);
  const a = new Map(rowsOf(kept, k.want).map((r, i) => [`${i === 0 ? 'summary' : r.key}:${r.branchCode ?? ''}`, r]));
  const b = rowsOf(streamed, k.want);
  let countDiffs = Math.abs(a.size - b.length);
  let maxScoreDiff = 0;
  b.forEach((r, i) => {
    const o = a.get(`${i === 0 ? 'summary' : r.key}:${r.branchCode ?? ''}`);
    if (!o || o.n !== r.n || o.branches !== r.branches) {
      countDiffs += 1;
      return;
    }
    const pairs: [number | null, number | null][] = [
      [o.total, r.total],
      ...Object.keys(r.sections).map(
        (s) =>
          [o.sections[s as keyof typeof o.sections], r.sections[s as keyof typeof r.sections]] as [
            number | null,
            number | null,
          ],
      ),
    ];
    for (const [x, y] of pairs) {
      if ((x === null) !== (y === null)) countDiffs += 1;
      else if (x !== null && y !== null) maxScoreDiff = Math.max(maxScoreDiff, Math.abs(x - y));
    }
  });
  void w;
  return { name: k.name, rows: b.length, countDiffs, maxScoreDiff };
}
