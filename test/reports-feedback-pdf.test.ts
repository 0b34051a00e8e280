import { renderBankReport, renderBranchReport, renderRegionReport } from '../reports';
import { feedbackBranchSlice, feedbackSnapshot, FB_BRANCH, FB_OTHER } from './helpers/report-feedback';
import { fixtureSnapshot, pdfText, withBranchDetail } from './helpers/reports';

/**
 * The feedback loop in the PDF builders (fixture snapshots, read back with pdftotext): dispute
 * markers and counts, and the previous quarter's action plans with their outcome. Text is compared
 * without white space, since table cells and long lines may wrap.
 */
const flat = (text: string) => text.replace(/\s+/g, '');

describe('branch report', () => {
  let text: string;
  beforeAll(async () => {
    const s = feedbackSnapshot();
    text = flat(pdfText(await renderBranchReport(feedbackBranchSlice(s, FB_BRANCH), FB_BRANCH)));
  });

  test('each disputed item is marked with its state, the overturned one with the answer it had', () => {
    expect(text).toContain(flat('申诉项：风险揭示书逐项讲解并由顾客亲笔签字确认 〔申诉中〕'));
    expect(text).toContain(
      flat('申诉项：等待时间 〔申诉：已改判，原回答 2 / 5〕; 顾客进门30秒内有员工主动问候 〔申诉：维持原结果〕'),
    );
    // The violation of the branch (its visit's dispute is open) is flagged in the violations table.
    expect(text).toMatch(/风险揭示书逐项讲解并由顾客亲笔签字确认〔申诉中〕/);
  });

  test('dispute counts in the summary and the rules in the method notes', () => {
    expect(text).toContain(flat('本网点申诉：2 次暗访中共 3 个检查项被申诉（处理中 1，维持原结果 1，改判 1）。'));
    expect(text).toContain(flat('改判的申诉已按更正后的回答重新计分'));
  });

  test("the plans covering the branch (bank-wide, its region, its own) with their outcome; not another branch's", () => {
    expect(text).toContain(flat('2026-Q2 整改措施及效果'));
    expect(text).toContain('晨会讲解风险');
    expect(text).toContain('区域专项检查');
    expect(text).toContain('全员合规培训');
    expect(text).not.toContain('别的网点措施');
    for (const label of ['改善', '恶化', '尚无法衡量', '已逾期']) expect(text).toContain(label);
    expect(text).toMatch(/晨会讲解风险王经理2026-06-30已完成100\.0%\(2\/2\)0\.0%\(0\/2\)改善/);
    expect(text).toContain(flat('2026-Q2 的整改措施 3 项：改善 1 项，恶化 1 项，无变化 0 项，尚无法衡量 1 项。'));
  });

  test('another branch shows its own plan and no dispute of JN-002', async () => {
    const s = feedbackSnapshot();
    const other = flat(pdfText(await renderBranchReport(feedbackBranchSlice(s, FB_OTHER), FB_OTHER)));
    expect(other).toContain('别的网点措施');
    expect(other).toContain('无变化');
    expect(other).not.toContain('晨会讲解风险');
    expect(other).not.toContain('〔申诉');
    expect(other).toContain(flat('本网点本季度没有申诉。'));
  });

  test('English labels for an English-language bank', async () => {
    const s = feedbackSnapshot('en');
    const en = flat(pdfText(await renderBranchReport(feedbackBranchSlice(s, FB_BRANCH), FB_BRANCH)));
    expect(en).toContain(flat('[dispute overturned: was 2 / 5]'));
    expect(en).toContain(flat('[dispute upheld: unchanged]'));
    expect(en).toContain(flat('[disputed: open]'));
    expect(en).toContain(flat('Action plans from 2026-Q2 and their outcome'));
    for (const label of ['Improved', 'Worse', 'measurable', 'Overdue']) expect(en).toContain(label);
    expect(en).not.toContain('申诉');
    expect(en).not.toContain('整改');
  });

  test('a snapshot without feedback (taken before reports had it) renders as before', async () => {
    const text = flat(pdfText(await renderBranchReport(withBranchDetail(fixtureSnapshot(), FB_BRANCH), FB_BRANCH)));
    expect(text).not.toContain('〔申诉');
    expect(text).not.toContain('本网点申诉');
    expect(text).not.toContain('整改措施');
  });
});

describe('bank and region reports', () => {
  test('the bank: dispute counts over every branch, flagged violations, plan outcomes', async () => {
    const text = flat(pdfText(await renderBankReport(feedbackSnapshot())));
    expect(text).toContain(flat('申诉：3 次暗访中共 4 个检查项被申诉（处理中 1，维持原结果 1，改判 2）。'));
    expect(text).toContain(flat('2026-Q2 的整改措施 4 项：改善 1 项，恶化 1 项，无变化 1 项，尚无法衡量 1 项。'));
    expect(text).toContain('〔申诉中〕');
  });

  test('a region: only its own disputes and plans', async () => {
    const s = feedbackSnapshot();
    const region = s.branches.find((b) => b.code === FB_BRANCH)?.region as string;
    const mine = flat(pdfText(await renderRegionReport(s, region)));
    // JN-003 lies in another region (the fixture deals branches round-robin over three regions).
    expect(mine).toContain(flat('申诉：2 次暗访中共 3 个检查项被申诉（处理中 1，维持原结果 1，改判 1）。'));
    expect(mine).toContain(flat('2026-Q2 的整改措施 3 项：改善 1 项，恶化 1 项，无变化 1 项，尚无法衡量 0 项。'));
    const otherRegion = s.branches.find((b) => b.code === 'JN-003')?.region as string;
    const theirs = flat(pdfText(await renderRegionReport(s, otherRegion)));
    expect(theirs).toContain(flat('申诉：1 次暗访中共 1 个检查项被申诉（处理中 0，维持原结果 0，改判 1）。'));
  });
});
