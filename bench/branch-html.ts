import { figureLabels, figureValues } from '../reports/common';
import { answerLabel, change, dateTime, score, sectionLabel, textOf, translator } from '../reports/format';
import type { ReportSnapshot, Scores } from '../reports/types';

/**
 * The same branch report as HTML, for the benchmark's other contender (HTML printed to PDF by
 * headless Chromium): the same sections, tables, bar chart (inline SVG) and labels as
 * reports/branch.ts, with the page header and footer as Chromium's header and footer templates.
 */
const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const table = (head: string[], rows: string[][], right: number[] = []) =>
  `<table><thead><tr>${head.map((h, i) => `<th${right.includes(i) ? ' class="r"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${right.includes(i) ? ' class="r"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

function bars(labels: string[], series: { name: string; color: string; values: (number | null)[] }[]): string {
  const w = 500;
  const h = 160;
  const slot = (w - 30) / labels.length;
  const bw = Math.min(26, (slot * 0.75) / series.length);
  let svg = `<svg width="${w}" height="${h + 40}" viewBox="0 0 ${w} ${h + 40}" xmlns="http://www.w3.org/2000/svg" font-size="8">`;
  for (let v = 0; v <= 100; v += 20) {
    const y = h - (v / 100) * h + 10;
    svg += `<line x1="30" x2="${w}" y1="${y}" y2="${y}" stroke="#c9d0dc" stroke-width="0.5"/><text x="26" y="${y + 3}" text-anchor="end">${v}</text>`;
  }
  labels.forEach((l, ci) => {
    const gx = 30 + ci * slot + (slot - bw * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (typeof v !== 'number') return;
      const bh = (v / 100) * h;
      svg += `<rect x="${gx + si * bw + 1}" y="${h - bh + 10}" width="${bw - 2}" height="${bh}" fill="${s.color}"/><text x="${gx + si * bw + bw / 2}" y="${h - bh + 6}" text-anchor="middle">${score(v)}</text>`;
    });
    svg += `<text x="${30 + ci * slot + slot / 2}" y="${h + 24}" text-anchor="middle">${esc(l)}</text>`;
  });
  return `${svg}</svg><div class="legend">${series.map((s) => `<span><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join('')}</div>`;
}

export function branchReportHtml(s: ReportSnapshot, code: string): { html: string; header: string; footer: string } {
  const t = translator(s.bank.language);
  const lang = s.bank.language;
  const b = s.branches.find((x) => x.code === code);
  const d = s.branchDetails.find((x) => x.code === code);
  if (!b || !d) throw new Error(`branch ${code} not in the snapshot slice`);
  const scopeLine = t('scope.branch', { code: b.code, name: b.name });
  const { region, bank } = d.benchmarks;
  const mine = figureValues(b);
  const before = figureValues(b.previous);
  const reg = figureValues(region as Scores | null);
  const all = figureValues(bank as Scores | null);
  const labels = figureLabels(t);
  const generated = dateTime(s.generatedAt, s.bank.timezone);
  const visits = d.visits
    .map(
      (v, i) => `
    <h2>${esc(t('visit.heading', { i: i + 1, count: d.visits.length, date: dateTime(v.visitedAt, s.bank.timezone) }))}</h2>
    <p class="muted">${esc(t('visit.meta', { minutes: v.durationMinutes, questionnaire: v.questionnaireName, version: v.questionnaireVersion, total: score(v.scores.total) }))}</p>
    ${v.staff.length ? `<p>${esc(t('visit.staff', { staff: v.staff.join('、') }))}</p>` : ''}
    ${table(
      [t('col.section'), t('col.item'), t('col.answer'), t('col.score'), t('col.comment')],
      v.answers.map((a) => [
        esc(sectionLabel(t, a.sectionKey)),
        esc(a.critical ? `${textOf(a.text, lang)} (${t('critical')})` : textOf(a.text, lang)),
        `<span class="${a.score === 0 ? 'bad' : ''}">${esc(answerLabel(t, a.value))}</span>`,
        score(a.score),
        esc(a.comment ?? ''),
      ]),
      [3],
    )}
    ${v.summary ? `<p>${esc(t('visit.summary', { summary: v.summary }))}</p>` : ''}`,
    )
    .join('');
  const html = `<!doctype html><html lang="${lang === 'en' ? 'en' : 'zh-CN'}"><head><meta charset="utf-8"><style>
    body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; color: #1d2433; font-size: 10pt; }
    h1 { color: #1f3b73; font-size: 17pt; border-bottom: 1px solid #1f3b73; } h2 { color: #1f3b73; font-size: 12.5pt; }
    table { width: 100%; border-collapse: collapse; font-size: 8pt; margin-bottom: 8pt; } thead { display: table-header-group; }
    th { background: #e8edf5; text-align: left; } th, td { padding: 3pt; border-bottom: 0.3pt solid #c9d0dc; } tr { break-inside: avoid; }
    tbody tr:nth-child(even) { background: #f6f8fb; } .r { text-align: right; } .bad { color: #b3261e; } .muted { color: #5b6475; }
    .cover { page-break-after: always; padding-top: 150pt; } .cover h1 { font-size: 26pt; border: 0; } .legend span { margin-right: 12pt; font-size: 8pt; }
    .legend i { display: inline-block; width: 9pt; height: 6pt; margin-right: 3pt; }
  </style></head><body>
    <section class="cover"><h1>${esc(s.bank.name)}</h1><p style="font-size:18pt">${esc(t('title.branch'))}</p>
      <p>${esc(t('cover.scope'))}: ${esc(scopeLine)}<br>${esc(t('cover.quarter'))}: ${esc(s.quarter)}<br>${esc(t('cover.version'))}: ${s.version}<br>${esc(t('cover.generated'))}: ${esc(generated)}</p>
      <p class="muted">${esc(t('cover.prepared'))}<br>${esc(t('cover.confidential'))}</p></section>
    <h1>${esc(t('h.summary'))}</h1>
    <ul><li>${esc(t('summary.branch_scope', { quarter: s.quarter, visits: b.n }))}</li>
      <li>${esc(t('summary.branch_vs', { total: score(b.total), region: region ? score(region.total) : t('withheld'), bank: bank ? score(bank.total) : t('withheld') }))}</li></ul>
    <h2>${esc(t('h.vs'))}</h2>
    ${table(
      [t('col.figure'), t('col.this_branch'), t('previous'), t('col.change'), t('col.this_region'), t('col.bank')],
      labels.map((l, i) => [
        esc(l),
        score(mine[i]),
        score(before[i]),
        change(mine[i], before[i]),
        region ? score(reg[i]) : esc(t('withheld')),
        bank ? score(all[i]) : esc(t('withheld')),
      ]),
      [1, 2, 3, 4, 5],
    )}
    ${bars(labels, [
      { name: b.name, color: '#1f3b73', values: mine },
      { name: t('col.this_region'), color: '#2a9d8f', values: reg },
      { name: t('col.bank'), color: '#b8c4d9', values: all },
    ])}
    <h1>${esc(t('h.visits'))}</h1>${visits}
    <h1>${esc(t('h.violations'))}</h1>
    ${table(
      [t('col.visit_date'), t('col.section'), t('col.item')],
      d.violations.map((v) => [
        esc(v.visitedAt?.slice(0, 10) ?? ''),
        esc(sectionLabel(t, v.sectionKey)),
        `<span class="bad">${esc(textOf(v.text, lang))}</span>`,
      ]),
    )}
    <h1>${esc(t('h.problems'))}</h1>
    ${table(
      [t('col.rank'), t('col.item'), t('col.section'), t('col.failure_rate'), t('col.failed')],
      d.keyProblems.map((p, i) => [
        String(i + 1),
        esc(textOf(p.text, lang)),
        esc(sectionLabel(t, p.sectionKey)),
        `${score(p.failureRate * 100)}%`,
        `${p.failed} / ${p.applicable}`,
      ]),
      [0, 3, 4],
    )}
    <h1>${esc(t('h.method'))}</h1>
    <ul>${[t('method.sample_branch', { visits: b.n }), t('method.counted', { timezone: s.bank.timezone }), t('method.items'), t('method.section'), t('method.rollup'), t('method.problems'), t('method.rounding'), t('method.snapshot', { version: s.version })].map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
  </body></html>`;
  const small =
    'font-family: "WenQuanYi Micro Hei", sans-serif; font-size: 8px; color: #5b6475; width: 100%; margin: 0 48px; display: flex; justify-content: space-between;';
  return {
    html,
    header: `<div style='${small}'><span>${esc(t('header', { bank: s.bank.name, quarter: s.quarter, version: s.version }))}</span><span>${esc(scopeLine)}</span></div>`,
    // Chromium fills .pageNumber and .totalPages; the labels around them come from the same strings.
    footer: `<div style='${small}'><span>${esc(t('generated', { at: generated }))}</span><span>${esc(
      t('page', { x: '{x}', y: '{y}' }),
    )
      .replace('{x}', '<span class="pageNumber"></span>')
      .replace('{y}', '<span class="totalPages"></span>')}</span></div>`,
  };
}
