/** Strings of the calibration round form (SPEC §12) and the round's due date. */
export const en: Record<string, string> = {
  'calibration.new.link': 'New calibration round',
  'calibration.new.title': 'New calibration round',
  'calibration.new.intro':
    'Give at least {min} auditors the same written case to score on one questionnaire version. Their answers are never visits and never count in results.',
  'calibration.new.questionnaire': 'Questionnaire and version',
  'calibration.new.choose': 'Choose…',
  'calibration.new.round_title': 'Title',
  'calibration.new.round_title_hint': 'What auditors see in their list, e.g. "Wealth product enquiry, 2026-Q3".',
  'calibration.new.case': 'The case (scenario)',
  'calibration.new.case_hint':
    'What happened at the counter, written so that every auditor can score it alone. Recordings and photos can be attached on the round page afterwards.',
  'calibration.new.auditors': 'Auditors (at least {min})',
  'calibration.new.no_auditors': 'There are no active auditors yet. Create auditor users first (Users).',
  'calibration.new.due': 'Answers expected by',
  'calibration.new.due_hint':
    "Optional. The end of that day in the bank's time zone; auditors see it. Later answers are still accepted.",
  'calibration.new.submit': 'Create the round',
  'calibration.new.created': 'Calibration round "{title}" created; the invited auditors see it on their phones.',
  'calibration.new.err.questionnaire': 'Choose a questionnaire version.',
  'calibration.new.err.title': 'Give the round a title (at most 200 characters).',
  'calibration.new.err.caseText': 'Write the case the auditors score (at most 20,000 characters).',
  'calibration.new.err.auditors': 'Choose at least 3 active auditors.',
  'calibration.new.err.dueDate': 'Choose a date that has not passed yet.',
  'calibration.due': 'Answers expected by {due} ({timezone})',
  'calibration.overdue': 'overdue',
};

export const zh: Record<string, string> = {
  'calibration.new.link': '新建校准轮次',
  'calibration.new.title': '新建校准轮次',
  'calibration.new.intro':
    '让至少 {min} 名暗访员按同一问卷版本为同一书面案例独立评分。校准答卷不是暗访，也不计入任何结果。',
  'calibration.new.questionnaire': '问卷及版本',
  'calibration.new.choose': '请选择…',
  'calibration.new.round_title': '标题',
  'calibration.new.round_title_hint': '暗访员在列表中看到的名称，例如“理财产品咨询 2026-Q3”。',
  'calibration.new.case': '案例（情景）',
  'calibration.new.case_hint': '柜台前发生了什么，写到每位暗访员都能独立评分。录音和照片可在创建后于轮次页面上传。',
  'calibration.new.auditors': '暗访员（至少 {min} 名）',
  'calibration.new.no_auditors': '还没有在职的暗访员。请先在“用户”中创建暗访员账号。',
  'calibration.new.due': '作答截止日期',
  'calibration.new.due_hint': '可选。按银行时区该日结束时截止；暗访员可以看到。逾期作答仍会被接收。',
  'calibration.new.submit': '创建轮次',
  'calibration.new.created': '已创建校准轮次“{title}”，受邀暗访员可在手机上看到。',
  'calibration.new.err.questionnaire': '请选择问卷版本。',
  'calibration.new.err.title': '请填写轮次标题（不超过 200 个字符）。',
  'calibration.new.err.caseText': '请填写供暗访员评分的案例（不超过 20,000 个字符）。',
  'calibration.new.err.auditors': '请至少选择 3 名在职暗访员。',
  'calibration.new.err.dueDate': '请选择尚未过去的日期。',
  'calibration.due': '作答截止：{due}（{timezone}）',
  'calibration.overdue': '已逾期',
};
