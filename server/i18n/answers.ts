/**
 * How an answer reads, in every place one is shown (visit pages, disputes, PDFs): the words of
 * server/rules/answer-words.ts. Keys are prefixed `answer.`.
 */
export const en: Record<string, string> = {
  'answer.yes': 'Yes',
  'answer.no': 'No',
  'answer.na': 'N/A',
  'answer.none': 'not answered',
  'answer.none_chosen': 'none of these',
  'answer.unreadable': '(answer not readable)',
  'answer.scale': '{value} / 5',
  'answer.list_separator': '; ',
  'answer.failed': 'Not met: {item}',
  'answer.failed_with': '{item}: {answer}',
};

export const zh: Record<string, string> = {
  'answer.yes': '是',
  'answer.no': '否',
  'answer.na': '不适用',
  'answer.none': '未作答',
  'answer.none_chosen': '以上皆无',
  'answer.unreadable': '（无法识别的答案）',
  'answer.scale': '{value} / 5',
  'answer.list_separator': '；',
  'answer.failed': '未达标：{item}',
  'answer.failed_with': '{item}：{answer}',
};
