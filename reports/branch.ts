import { groupedBars } from './charts';
import {
  cover,
  figureLabels,
  figureValues,
  methodNotes,
  previousQuarterOf,
  problemsTable,
  violationsTable,
} from './common';
import { open, type Ctx } from './context';
import { COLORS, type Column } from './doc';
import {
  branchDisputeLine,
  feedbackNotes,
  plansLine,
  plansSection,
  visitDisputeLines,
  visitMarks,
  withDisputeTag,
} from './feedback';
import { answerLabel, change, dateTime, score, sectionLabel, textOf, translator } from './format';
import type { BranchDetail, BranchFigures, ReportSnapshot, Scores } from './types';

export interface BranchReportOptions {
  /** Characters to start the font subset with (reports/font-lead.ts): the same PDF, numbered otherwise inside. */
  fontLead?: string;
  /** Gets the characters the report drew once it is finished (to learn a font lead from). */
  drawn?: (chars: string) => void;
}

/**
 * A branch's report: its scores against its region and the bank, every visit's answers and
 * comments, its violations and key problems. The snapshot slice carries this branch's details.
 */
export async function renderBranchReport(
  s: ReportSnapshot,
  code: string,
  options: BranchReportOptions = {},
): Promise<Buffer> {
  const branch = s.branches.find((b) => b.code === code);
  const detail = s.branchDetails.find((d) => d.code === code);
  if (!branch || !detail) throw new Error(`branch "${code}" is not in the snapshot slice`);
  const scopeLine = translator(s.bank.language)('scope.branch', { code: branch.code, name: branch.name });
  const c = open(s, 'branch', scopeLine, undefined, options.fontLead);
  const { r, t } = c;
  cover(c, 'branch', scopeLine);

  r.h1(t('h.summary'));
  const { region, bank } = detail.benchmarks;
  r.bullets(
    [
      t('summary.branch_scope', { quarter: s.quarter, visits: branch.n }),
      t('summary.branch_vs', {
        total: score(branch.total),
        region: region ? score(region.total) : t('withheld'),
        bank: bank ? score(bank.total) : t('withheld'),
      }),
      t('summary.total', {
        total: score(branch.total),
        change: branch.previous
          ? t('summary.change', {
              delta: change(branch.total, branch.previous.total),
              previous: previousQuarterOf(s.bankFigures) ?? t('previous'),
            })
          : '',
      }),
      detail.violations.length
        ? t('summary.branch_violations', { count: detail.violations.length })
        : t('summary.no_violations'),
      ...[
        branchDisputeLine(c, detail.feedback),
        plansLine(c, detail.feedback?.plans ?? [], detail.feedback?.plansQuarter),
      ].filter((l): l is string => l !== null),
    ],
    10,
  );
  r.space(6);
  comparison(c, branch, region, bank);

  r.h1(t('h.visits'));
  detail.visits.forEach((v, i) => visitSection(c, detail, i));
  if (detail.visits.length === 0) r.para(t('no_data'));

  violationsTable(c, detail.violations, false);
  problemsTable(c, detail.keyProblems);
  plansSection(c, detail.feedback);
  methodNotes(c, t('method.sample_branch', { visits: branch.n }), feedbackNotes(c, true));
  const pdf = await r.finish();
  options.drawn?.(r.drawnCharacters());
  return pdf;
}

function comparison(c: Ctx, b: BranchFigures, region: Scores | null, bank: Scores | null): void {
  const { r, t } = c;
  r.h2(t('h.vs'), 160);
  const mine = figureValues(b);
  const before = figureValues(b.previous);
  const reg = figureValues(region);
  const all = figureValues(bank);
  const cols: Column[] = [
    { header: t('col.figure'), width: 2 },
    { header: t('col.this_branch'), width: 1.1, align: 'right' },
    { header: t('previous'), width: 1.1, align: 'right' },
    { header: t('col.change'), width: 1, align: 'right' },
    { header: t('col.this_region'), width: 1.1, align: 'right' },
    { header: t('col.bank'), width: 1.1, align: 'right' },
  ];
  r.table(
    cols,
    figureLabels(t).map((l, i) => [
      l,
      score(mine[i]),
      score(before[i]),
      change(mine[i], before[i]),
      region ? score(reg[i]) : t('withheld'),
      bank ? score(all[i]) : t('withheld'),
    ]),
  );
  groupedBars(r, figureLabels(t), [
    { name: b.name, color: COLORS.accent, values: mine },
    ...(region ? [{ name: t('col.this_region'), color: COLORS.series[1], values: reg }] : []),
    ...(bank ? [{ name: t('col.bank'), color: COLORS.previous, values: all }] : []),
  ]);
}

function visitSection(c: Ctx, d: BranchDetail, i: number): void {
  const { r, t, s, lang } = c;
  const v = d.visits[i];
  r.h2(t('visit.heading', { i: i + 1, count: d.visits.length, date: dateTime(v.visitedAt, s.bank.timezone) }), 110);
  r.para(
    t('visit.meta', {
      minutes: v.durationMinutes,
      questionnaire: v.questionnaireName,
      version: v.questionnaireVersion,
      total: score(v.scores.total),
    }),
    { size: 9, color: COLORS.muted, gap: 2 },
  );
  if (v.staff.length) r.para(t('visit.staff', { staff: v.staff.join('、') }), { size: 9, gap: 2 });
  if (v.violations.length) {
    const names = v.violations
      .map((k) => v.answers.find((a) => a.itemKey === k))
      .map((a, j) => (a ? textOf(a.failure ?? a.text, lang) : v.violations[j]));
    r.para(t('visit.violations', { items: names.join('; ') }), { size: 9, color: COLORS.bad, gap: 2 });
  }
  const marks = visitMarks(d.feedback, v.id);
  visitDisputeLines(c, marks, v.answers);
  r.table(
    [
      // The answer in words may be an option's sentence or the options chosen, not just 是/否.
      { header: t('col.section'), width: 1.2 },
      { header: t('col.item'), width: 3.6 },
      { header: t('col.answer'), width: 2.0 },
      { header: t('col.score'), width: 0.7, align: 'right' },
      { header: t('col.comment'), width: 2.9 },
    ],
    v.answers.map((a) => [
      sectionLabel(t, a.sectionKey),
      withDisputeTag(
        t,
        a.critical ? `${textOf(a.text, lang)} (${t('critical')})` : textOf(a.text, lang),
        marks.get(a.itemKey),
        lang,
      ),
      { text: answerLabel(t, a.value, a.words, lang), color: a.score === 0 ? COLORS.bad : COLORS.ink },
      score(a.score),
      a.comment ?? '',
    ]),
    { size: 7.5 },
  );
  if (v.summary) r.para(t('visit.summary', { summary: v.summary }), { size: 9 });
}
