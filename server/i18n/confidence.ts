/** SPEC §11 (intervals, significant change) and §12 (calibration) in plain words. */
export const en: Record<string, string> = {
  'confidence.sig': 'significant',
  'confidence.nsig': 'not significant',
  'confidence.too_little_data': 'too little data',
  'confidence.interval': '95% range',
  'confidence.below_bank': 'below the bank',
  'confidence.below_bank_title': "Even the top of this branch's 95% range is below the bank score.",
  'confidence.edge_warning':
    'Read with care: {rows} at the top or bottom of this table rests on a small sample (fewer than 3 visits, or 3 branches for a region).',
  'confidence.small_note':
    '* small sample: fewer than 3 visits for a branch, fewer than 3 visited branches for a region.',
  'confidence.method.title': 'How to read these numbers',
  'confidence.method.interval':
    'Each score is an average of a few visits. "± x" is its 95% range: with the same branches and staff, a fresh round of visits would give a score within about that range of this one 95 times in 100. A wide range means few or very different visits.',
  'confidence.method.area':
    "A branch's range comes from its visits; a region's or the bank's from its branch scores (every branch counts once).",
  'confidence.method.change':
    'A change against the previous quarter is "significant" when it is unlikely to be chance alone (Welch\'s t-test, p below 0.05); "not significant" when it may well be chance; "too little data" when either quarter has fewer than 2 visits (or branches) to judge by.',
  'confidence.method.small':
    'Scores resting on fewer than 3 visits are marked small samples: do not rank or judge people on them alone.',
  'confidence.method.benchmark':
    'The bank figure shown for comparison has no range: it would reveal branches outside your scope.',
};

export const zh: Record<string, string> = {
  'confidence.sig': '显著',
  'confidence.nsig': '不显著',
  'confidence.too_little_data': '数据不足',
  'confidence.interval': '95% 区间',
  'confidence.below_bank': '低于全行',
  'confidence.below_bank_title': '该网点 95% 区间的上限仍低于全行得分。',
  'confidence.edge_warning': '请谨慎解读：本表首行或末行的 {rows} 样本较小（网点少于 3 次暗访，区域少于 3 个网点）。',
  'confidence.small_note': '* 样本较小：网点少于 3 次暗访，区域少于 3 个有暗访的网点。',
  'confidence.method.title': '如何解读这些数字',
  'confidence.method.interval':
    '每个得分都是若干次暗访的平均值。“± x”是它的 95% 区间：在网点和员工不变的情况下，重新做一轮暗访，100 次中约有 95 次得分会落在这个范围内。区间越宽，说明暗访次数越少或结果差异越大。',
  'confidence.method.area': '网点的区间按其各次暗访计算；区域和全行的区间按其各网点得分计算（每个网点只算一次）。',
  'confidence.method.change':
    '与上季度相比的变化标为“显著”，表示不太可能仅由偶然造成（Welch t 检验，p 小于 0.05）；“不显著”表示可能只是偶然；任一季度少于 2 次暗访（或 2 个网点）时标为“数据不足”。',
  'confidence.method.small': '少于 3 次暗访的得分标为小样本：不要仅凭它排名或评价员工。',
  'confidence.method.benchmark': '用于对比的全行数据不显示区间：否则会透露您权限范围以外的网点。',
  'hr.small_sample_title': '少于 3 次暗访：不能单独作为员工考核依据。',
  'hr.small_sample_warning':
    '标 * 的 {count} 份评分卡少于 3 次暗访：多一次或少一次暗访都可能使其大幅变化。关联员工考核前，请先查看其背后的暗访。',
  'hr.method_note':
    '“± x”为该员工各次暗访总分的 95% 区间。只有在不太可能由偶然造成时（Welch t 检验，p 小于 0.05），变化才标为“显著”。',
};
