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
  'calibration.nav': 'Calibration',
  'calibration.title': 'Auditor calibration',
  'calibration.intro':
    'How consistently our auditors score: the same written case scored by several auditors (rounds), and how each auditor scores in the field against colleagues at the same branches.',
  'calibration.your_rounds': 'Cases to score',
  'calibration.answered': 'answered',
  'calibration.to_answer': 'to answer',
  'calibration.none_auditor': 'No calibration case for you yet. When operations invites you to one, it appears here.',
  'calibration.rounds': 'Rounds',
  'calibration.round': 'Round',
  'calibration.created': 'Created',
  'calibration.answers': 'Answers',
  'calibration.alpha_low': 'below 0.667',
  'calibration.none':
    'No calibration round yet. An admin creates one (New calibration round) with a written case and at least three auditors.',
  'calibration.alpha_note':
    "α is Krippendorff's alpha over the item scores (interval): 1 = the auditors agree fully, 0 = no better than chance. 0.8 or more is good agreement; below 0.667 the scoring guide needs attention.",
  'calibration.leniency': 'Field leniency per auditor',
  'calibration.auditor': 'Auditor',
  'calibration.flagged': 'flagged',
  'calibration.leniency_none':
    'No branch was visited by two different auditors in these quarters, so there is nothing to compare yet.',
  'calibration.leniency_note':
    "Leniency: how many points an auditor's approved visit totals lie above (+) or below (−) the other auditors' visits to the same branch in the same quarter, on average; in brackets the visits compared. Flagged above 10 points either way with at least 5 visits.",
  'calibration.case': 'The case',
  'calibration.not_a_visit': "Calibration answers are not visits: they never count in any bank's results.",
  'calibration.results': 'Agreement in this round',
  'calibration.item': 'Item',
  'calibration.agreement': 'Same answer',
  'calibration.bias': 'Bias (points)',
  'calibration.reference_agreement': 'Matches the reference',
  'calibration.bias_note':
    "Bias: the auditor's item scores minus the other auditors' on the same items, on average, in points out of 100 (+ more lenient, − harsher). 'Same answer': the share of auditors who gave the most common answer.",
  'calibration.submit': 'Send my answers',
  'calibration.thanks':
    "Your answers are in. Thank you: they are compared with your colleagues' to keep scoring consistent.",
  'calibration.reference': 'Reference answers',
  'calibration.reference_hint':
    "The answers a careful auditor should give for this case; each auditor's agreement with them is shown above.",
  'calibration.save_reference': 'Save the reference',
  'calibration.flash.answered': 'Your answers are saved.',
  'calibration.flash.reference': 'The reference answers are saved.',
  'calibration.err.already_answered': 'You have already answered this case.',
  'reports.pdf.col.ci95': '±95%',
  'reports.pdf.col.significance': 'Change is',
  'reports.pdf.verdict.sig': 'significant',
  'reports.pdf.verdict.nsig': 'not significant',
  'reports.pdf.verdict.few': 'too little data',
  'reports.pdf.league.note':
    '±: half-width of the 95% range of the total. * fewer than 3 visits. Change: † significant (Welch p < 0.05), ~ too little data to judge, unmarked not significant.',
  'reports.pdf.league.edge': 'Read with care: {rows} at the top or bottom of this table rests on fewer than 3 visits.',
  'reports.pdf.method.interval':
    "Each score is an average of a few visits. \"±\" gives its 95% range: with the same branches and staff, a fresh round of visits would give a score within about that range 95 times in 100 (t distribution; a branch's range from its visits, a region's or the bank's from its branch scores).",
  'reports.pdf.method.change':
    'A change against the previous quarter is called significant when it is unlikely to be chance alone (Welch\'s t-test, p below 0.05), and "too little data" when either quarter has fewer than 2 visits (or branches).',
  'reports.pdf.method.small':
    'Scores resting on fewer than 3 visits (marked *) are small samples: do not rank or judge people on them alone.',
  'reports.pdf.method.calibration':
    "Auditor consistency: in the latest calibration round the firm's auditors scored the same case with Krippendorff's alpha = {alpha} (1 = full agreement; 0.8 or more is good).",
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
  'calibration.nav': '校准',
  'calibration.title': '暗访员校准',
  'calibration.intro':
    '衡量暗访员评分的一致性：同一书面案例由多名暗访员独立评分（校准轮次），以及每位暗访员在实地暗访中与在同一网点的同事相比的评分宽严。',
  'calibration.your_rounds': '待评分的案例',
  'calibration.answered': '已作答',
  'calibration.to_answer': '待作答',
  'calibration.none_auditor': '暂无校准案例。运营人员邀请您参加后会显示在这里。',
  'calibration.rounds': '校准轮次',
  'calibration.round': '轮次',
  'calibration.created': '创建时间',
  'calibration.answers': '作答',
  'calibration.alpha_low': '低于 0.667',
  'calibration.none': '暂无校准轮次。管理员可创建一轮（“新建校准轮次”），提供书面案例并邀请至少三名暗访员。',
  'calibration.alpha_note':
    'α 为各题得分的 Krippendorff alpha（区间尺度）：1 表示完全一致，0 表示与随机无异。0.8 及以上为一致性良好；低于 0.667 说明评分标准需要加强培训。',
  'calibration.leniency': '各暗访员实地评分宽严度',
  'calibration.auditor': '暗访员',
  'calibration.flagged': '需关注',
  'calibration.leniency_none': '这几个季度没有网点被两名不同的暗访员访问过，暂无可比数据。',
  'calibration.leniency_note':
    '宽严度：暗访员已批准暗访的总分，平均比同季度其他暗访员在同一网点的暗访高（+）或低（−）多少分；括号内为参与比较的暗访次数。偏差超过 10 分且至少 5 次暗访时标为需关注。',
  'calibration.case': '案例',
  'calibration.not_a_visit': '校准作答不是暗访：不计入任何银行的结果。',
  'calibration.results': '本轮一致性',
  'calibration.item': '题目',
  'calibration.agreement': '答案相同比例',
  'calibration.bias': '偏差（分）',
  'calibration.reference_agreement': '与参考答案一致',
  'calibration.bias_note':
    '偏差：该暗访员各题得分减去其他暗访员同题得分的平均值，以百分制计（+ 偏宽，− 偏严）。“答案相同比例”：给出最常见答案的暗访员所占比例。',
  'calibration.submit': '提交我的答案',
  'calibration.thanks': '您的答案已提交。谢谢：它将与同事的答案比较，以保持评分一致。',
  'calibration.reference': '参考答案',
  'calibration.reference_hint': '认真的暗访员对本案例应给出的答案；每位暗访员与其一致的比例显示在上方。',
  'calibration.save_reference': '保存参考答案',
  'calibration.flash.answered': '您的答案已保存。',
  'calibration.flash.reference': '参考答案已保存。',
  'calibration.err.already_answered': '您已作答过本案例。',
  'reports.pdf.col.ci95': '±95%',
  'reports.pdf.col.significance': '变化',
  'reports.pdf.verdict.sig': '显著',
  'reports.pdf.verdict.nsig': '不显著',
  'reports.pdf.verdict.few': '数据不足',
  'reports.pdf.league.note':
    '±：总分 95% 区间的半宽。* 少于 3 次暗访。变化：† 显著（Welch p < 0.05），~ 数据不足无法判断，无标记为不显著。',
  'reports.pdf.league.edge': '请谨慎解读：本表首行或末行的 {rows} 少于 3 次暗访。',
  'reports.pdf.method.interval':
    '每个得分都是若干次暗访的平均值。“±”为其 95% 区间：在网点和员工不变的情况下重新暗访一轮，100 次中约 95 次得分会落在此范围内（t 分布；网点按其各次暗访计算，区域和全行按其各网点得分计算）。',
  'reports.pdf.method.change':
    '与上季度相比的变化，若不太可能仅由偶然造成（Welch t 检验，p 小于 0.05）则标为显著；任一季度少于 2 次暗访（或 2 个网点）时标为数据不足。',
  'reports.pdf.method.small': '少于 3 次暗访的得分（标 *）为小样本：不要仅凭它排名或评价员工。',
  'reports.pdf.method.calibration':
    '暗访员一致性：在最近一轮校准中，本公司暗访员对同一案例评分的 Krippendorff alpha = {alpha}（1 为完全一致；0.8 及以上为良好）。',
};
