/**
 * The feedback loop in the quarterly reports: dispute markers and action-plan outcomes in the PDFs
 * (`reports.pdf.feedback.*`, read through the reports' own translator) and the "correction pending"
 * notice of the reports pages (`reports.correction.*`).
 */
export const en: Record<string, string> = {
  'reports.pdf.feedback.tag.open': '[disputed: open]',
  'reports.pdf.feedback.tag.upheld': '[dispute upheld: unchanged]',
  'reports.pdf.feedback.tag.overturned': '[dispute overturned: corrected]',
  'reports.pdf.feedback.tag.overturned_was': '[dispute overturned: was {before}]',
  'reports.pdf.feedback.summary.disputes':
    'Disputes: {items} items on {visits} visits were disputed ({open} open, {upheld} upheld, {overturned} overturned).',
  'reports.pdf.feedback.summary.disputes_none': 'No item was disputed.',
  'reports.pdf.feedback.summary.branch_disputes':
    'Disputes in this branch: {items} items on {visits} visits ({open} open, {upheld} upheld, {overturned} overturned).',
  'reports.pdf.feedback.summary.branch_disputes_none': 'No item of this branch was disputed.',
  'reports.pdf.feedback.summary.plans':
    '{count} action plans from {quarter}: {improved} improved, {worse} worse, {unchanged} unchanged, {no_data} not yet measurable.',
  'reports.pdf.feedback.summary.plans_none': 'No action plan from {quarter} applies.',
  'reports.pdf.feedback.method.disputes':
    'Disputes: disputed items are marked. An open dispute does not change the scores (the visit keeps counting); an upheld one leaves the answer as it was; an overturned one corrected the answer and the visit was rescored, so the scores shown are the corrected ones. A dispute overturned after this snapshot is corrected in a new version of the report.',
  'reports.pdf.feedback.method.plans':
    "Action plan outcome: the item's failure rate in the plan's area (bank, region or branch) in the plan's quarter against this quarter, compared as shown (percent, one decimal); \"not yet measurable\" when either quarter has no applicable answer.",
  'reports.pdf.feedback.visit.disputes': 'Disputed items: {items}',
  'reports.pdf.feedback.h.plans': 'Action plans from {quarter} and their outcome',
  'reports.pdf.feedback.col.scope': 'Scope',
  'reports.pdf.feedback.col.action': 'Action',
  'reports.pdf.feedback.col.owner': 'Owner',
  'reports.pdf.feedback.col.due': 'Due',
  'reports.pdf.feedback.col.status': 'Status',
  'reports.pdf.feedback.col.rate': 'Failure rate {quarter}',
  'reports.pdf.feedback.col.outcome': 'Outcome',
  'reports.pdf.feedback.plan.scope_bank': 'Bank-wide',
  'reports.pdf.feedback.plan.scope_region': 'Region {name}',
  'reports.pdf.feedback.plan.scope_branch': 'Branch {code}',
  'reports.pdf.feedback.plan.open': 'Open',
  'reports.pdf.feedback.plan.done': 'Done',
  'reports.pdf.feedback.plan.overdue': 'Overdue',
  'reports.pdf.feedback.plan.none': 'No action plan from {quarter} covers this branch.',
  'reports.pdf.feedback.outcome.improved': 'Improved',
  'reports.pdf.feedback.outcome.worse': 'Worse',
  'reports.pdf.feedback.outcome.unchanged': 'Unchanged',
  'reports.pdf.feedback.outcome.no_data': 'Not yet measurable',

  'reports.correction.title': 'Corrections pending',
  'reports.correction.hint':
    "A dispute was overturned after these quarters' reports were published. Close the quarter again to issue a corrected version; the published versions stay available.",
  'reports.correction.badge': 'correction pending',
  'reports.correction.count': '{count} overturned',
  'reports.correction.since': 'since {at}',
  'reports.correction.branches': 'Branches',
  'reports.correction.reissue': 'Re-issue',
};

export const zh: Record<string, string> = {
  'reports.pdf.feedback.tag.open': '〔申诉中〕',
  'reports.pdf.feedback.tag.upheld': '〔申诉：维持原结果〕',
  'reports.pdf.feedback.tag.overturned': '〔申诉：已改判〕',
  'reports.pdf.feedback.tag.overturned_was': '〔申诉：已改判，原回答 {before}〕',
  'reports.pdf.feedback.summary.disputes':
    '申诉：{visits} 次暗访中共 {items} 个检查项被申诉（处理中 {open}，维持原结果 {upheld}，改判 {overturned}）。',
  'reports.pdf.feedback.summary.disputes_none': '本季度没有申诉。',
  'reports.pdf.feedback.summary.branch_disputes':
    '本网点申诉：{visits} 次暗访中共 {items} 个检查项被申诉（处理中 {open}，维持原结果 {upheld}，改判 {overturned}）。',
  'reports.pdf.feedback.summary.branch_disputes_none': '本网点本季度没有申诉。',
  'reports.pdf.feedback.summary.plans':
    '{quarter} 的整改措施 {count} 项：改善 {improved} 项，恶化 {worse} 项，无变化 {unchanged} 项，尚无法衡量 {no_data} 项。',
  'reports.pdf.feedback.summary.plans_none': '没有 {quarter} 的相关整改措施。',
  'reports.pdf.feedback.method.disputes':
    '申诉：被申诉的检查项均已标注。处理中的申诉不改变得分（该次暗访继续计入）；维持原结果的申诉不改变回答；改判的申诉已按更正后的回答重新计分，本报告中的分数即为更正后的分数。快照生成之后才改判的申诉，将以新版本报告更正。',
  'reports.pdf.feedback.method.plans':
    '整改措施效果：比较该检查项在措施所属范围（全行、区域或网点）内措施所在季度与本季度的失败率，按保留一位小数的百分比比较；任一季度没有适用回答时为“尚无法衡量”。',
  'reports.pdf.feedback.visit.disputes': '申诉项：{items}',
  'reports.pdf.feedback.h.plans': '{quarter} 整改措施及效果',
  'reports.pdf.feedback.col.scope': '范围',
  'reports.pdf.feedback.col.action': '整改措施',
  'reports.pdf.feedback.col.owner': '负责人',
  'reports.pdf.feedback.col.due': '完成期限',
  'reports.pdf.feedback.col.status': '状态',
  'reports.pdf.feedback.col.rate': '{quarter} 失败率',
  'reports.pdf.feedback.col.outcome': '效果',
  'reports.pdf.feedback.plan.scope_bank': '全行',
  'reports.pdf.feedback.plan.scope_region': '区域 {name}',
  'reports.pdf.feedback.plan.scope_branch': '网点 {code}',
  'reports.pdf.feedback.plan.open': '进行中',
  'reports.pdf.feedback.plan.done': '已完成',
  'reports.pdf.feedback.plan.overdue': '已逾期',
  'reports.pdf.feedback.plan.none': '没有涉及本网点的 {quarter} 整改措施。',
  'reports.pdf.feedback.outcome.improved': '改善',
  'reports.pdf.feedback.outcome.worse': '恶化',
  'reports.pdf.feedback.outcome.unchanged': '无变化',
  'reports.pdf.feedback.outcome.no_data': '尚无法衡量',

  'reports.correction.title': '待更正的报告',
  'reports.correction.hint':
    '以下季度的报告发布后，有申诉被改判。请重新结算该季度以发布更正后的新版本；已发布的版本仍可下载。',
  'reports.correction.badge': '待更正',
  'reports.correction.count': '改判 {count} 项',
  'reports.correction.since': '自 {at}',
  'reports.correction.branches': '涉及网点',
  'reports.correction.reissue': '重新结算',
};
