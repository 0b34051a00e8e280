/**
 * What the last step of every page render (platform/http/accessible-html.ts: data languages,
 * table regions) costs, on pages shaped like the app's largest: a results dashboard's branch table
 * and the admin's 500-row lists, in English (Chinese data marked) and Chinese (Latin data marked).
 *   node -r @swc-node/register bench/accessible-html-bench.ts
 */
import os from 'node:os';
import { accessibleHtml } from '../server/platform/http/accessible-html';

function pageOf(lang: 'en' | 'zh-CN', rows: number): string {
  const body: string[] = ['<h1>Results 结果</h1>', '<h2>Branches 支行</h2>', '<div class="table-wrap"><table><tbody>'];
  for (let i = 0; i < rows; i++) {
    body.push(
      `<tr><td>上海浦东支行 ${i}</td><td>SH${String(i).padStart(4, '0')}</td><td>华东区 East</td><td>82.4</td>` +
        `<td>79.1 (n = 12)</td><td><a href="/visits/66f0c2a4e1b2c3d4e5f6${String(i).padStart(4, '0')}">Open 打开</a></td></tr>`,
    );
  }
  body.push('</tbody></table></div>');
  return `<!doctype html><html lang="${lang}"><head><title>Results</title></head><body><main>${body.join('\n')}</main></body></html>`;
}

/** Wall time, and this process's CPU time (which other work on the machine does not inflate). */
function measure(html: string, rounds: number): { median: number; p95: number; cpu: number } {
  for (let i = 0; i < 20; i++) accessibleHtml(html);
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    accessibleHtml(html);
    const used = process.cpuUsage(c);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    cpu.push((used.user + used.system) / 1000);
  }
  const mid = (list: number[], q: number) => [...list].sort((a, b) => a - b)[Math.floor(list.length * q)];
  return { median: mid(times, 0.5), p95: mid(times, 0.95), cpu: mid(cpu, 0.5) };
}

const lines = [
  `${new Date().toISOString()} · ${os.cpus().length} CPUs (${os.cpus()[0]?.model}) · Node ${process.version} · load ${os.loadavg()[0].toFixed(1)}`,
  '| page | size | median wall | p95 wall | median CPU |',
  '|---|---|---|---|---|',
];
for (const rows of [50, 500]) {
  for (const lang of ['en', 'zh-CN'] as const) {
    const html = pageOf(lang, rows);
    const r = measure(html, 200);
    lines.push(
      `| ${lang}, ${rows} rows | ${Math.round(html.length / 1024)} KB | ${r.median.toFixed(2)} ms | ${r.p95.toFixed(2)} ms | ${r.cpu.toFixed(2)} ms |`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
