/**
 * What demo shoppers write: comments on failed or notable items, visit summaries, scenarios and
 * reviewer notes, in Chinese (江南商业银行) and English (Harbour Bank).
 */
export type Lang = 'zh' | 'en';
type Texts = Record<Lang, string[]>;

/** Comments on an item answered "no" (or a low scale value). */
export const FAILURE_COMMENTS: Record<string, Texts> = {
  g_greet_30s: {
    zh: ['进门后约2分钟无人问候，大堂经理在接电话。', '保安开门，但无员工主动招呼。'],
    en: [
      'Nobody greeted me for about two minutes; the lobby manager was on the phone.',
      'Only the security guard acknowledged me at the door.',
    ],
  },
  g_eye_contact: {
    zh: ['柜员低头操作电脑，未抬头示意。'],
    en: ['The teller kept looking at the screen and never looked up.'],
  },
  g_lobby_guide: {
    zh: ['大堂经理未询问需求，只让我自行取号。'],
    en: ['The lobby manager told me to take a ticket without asking what I needed.'],
  },
  g_queue_ticket: {
    zh: ['取号机旁无人解释，号票上未显示等候人数。', '未告知预计等候时间。'],
    en: ['No one explained the queue; the ticket did not show the people ahead.'],
  },
  g_wait_time: {
    zh: ['等候约25分钟，理财窗口只开一个。', '等候超过20分钟，期间无人安抚。'],
    en: ['Waited about 25 minutes; only one wealth counter was open.'],
  },
  g_environment: {
    zh: ['宣传资料架凌乱，部分折页已过期。', '等候区地面有纸屑，价目表被遮挡。'],
    en: ['Brochure rack untidy; some leaflets were out of date.'],
  },
  g_attire: { zh: ['理财经理未佩戴工牌。'], en: ['The adviser was not wearing a name badge.'] },
  p_needs: {
    zh: ['未询问资金用途和投资期限，直接推荐高收益产品。'],
    en: ['Recommended a high-yield product straight away without asking about my goals or horizon.'],
  },
  p_features: {
    zh: ['对产品投资方向说明含糊，只强调“收益稳定”。', '混淆了业绩比较基准和预期收益。'],
    en: ['Vague about what the fund invests in; only kept saying it is "stable".'],
  },
  p_fees: {
    zh: ['未主动说明管理费和托管费，追问后才告知。', '只提到认购费为零，未提其他费用。'],
    en: ['Management and custody fees were only mentioned after I asked.'],
  },
  p_term: {
    zh: ['未说明封闭期，称“随时可以赎回”，与说明书不符。'],
    en: ['Said I could redeem "any time", which contradicts the prospectus.'],
  },
  p_not_deposit: {
    zh: ['未说明理财产品不属于存款、不受存款保险保障。'],
    en: ['Did not say that the product is not a deposit.'],
  },
  p_answers: {
    zh: ['追问净值波动时回答“不会亏”，不够专业。'],
    en: ['When asked about NAV swings the answer was "it won\'t lose money".'],
  },
  p_compare: { zh: ['只推荐一款产品，未提供其他选择。'], en: ['Only one product was offered; no alternatives.'] },
  p_materials: { zh: ['未提供产品说明书，只给了宣传折页。'], en: ['Got a flyer but not the product prospectus.'] },
  c_risk_disclosure: {
    zh: ['风险揭示书未逐项讲解，直接让我在末页签字。', '理财经理代为勾选风险揭示内容，只让我签名。'],
    en: ['I was asked to sign the last page of the risk disclosure without any explanation.'],
  },
  c_risk_match: {
    zh: ['测评结果为C2（稳健型），却推荐了R4级产品，未作任何提示。'],
    en: ['Assessed as C2 (cautious) yet offered an R4 product with no warning.'],
  },
  c_disclosures: {
    zh: ['只讲了预期收益，未提本金可能亏损。'],
    en: ['Only the expected return was mentioned, not that the principal can be lost.'],
  },
  c_suitability: {
    zh: ['未做风险测评即推荐R4产品，测评在购买后补做。', '风险测评由员工代填。'],
    en: ['No risk-tolerance questionnaire before the sale; an R4 product was recommended.'],
  },
  c_no_guarantee: {
    zh: ['理财经理表示“这款产品基本不会亏，年化4%稳拿”。', '以去年业绩暗示“今年至少也有这么多”。'],
    en: ['The adviser said the return of 4% a year was "basically guaranteed".'],
  },
  c_id_check: {
    zh: ['未核验身份证原件，只问了证件号码。'],
    en: ['My ID card was not checked; only the number was asked for.'],
  },
  c_dual_recording: {
    zh: ['未进入双录区，销售过程无录音录像。'],
    en: ['The sale was not recorded; we never went to the recording area.'],
  },
  c_cooling_off: { zh: ['未告知冷静期和撤销权利。'], en: ['The cooling-off period was not mentioned.'] },
  c_no_tied_sale: {
    zh: ['办理时要求同时购买一份意外险。'],
    en: ['I was told to buy an accident insurance policy together with the fund.'],
  },
  c_qualification: { zh: ['询问后未能出示销售资格证明。'], en: ['Could not show a sales qualification when asked.'] },
  c_privacy: {
    zh: ['柜员大声念出身份证号码，旁边客户可以听到。'],
    en: ['My ID number was read out loud at the counter.'],
  },
  f_contact: { zh: ['未留联系方式。'], en: ['No contact details were offered.'] },
  f_callback_agreed: { zh: ['未约定回访。'], en: ['No follow-up was agreed.'] },
  f_callback_on_time: {
    zh: ['约定两天内回访，一周后仍未联系。'],
    en: ['Promised a call within two days; nobody called within a week.'],
  },
  f_after_sale: {
    zh: ['电话咨询赎回到账时间，客服答复不清。'],
    en: ['Phoned about redemption settlement; the answer was unclear.'],
  },
  f_farewell: { zh: ['离开时员工未道别。'], en: ['No goodbye when I left.'] },
  f_overall: { zh: ['整体体验较差，等候长且讲解敷衍。'], en: ['Overall poor: long wait and a rushed explanation.'] },
};

/** Occasional remarks on items that went well. */
export const PRAISE_COMMENTS: Record<string, Texts> = {
  g_greet_30s: { zh: ['进门即有大堂经理微笑问候。'], en: ['Greeted with a smile as soon as I walked in.'] },
  p_features: {
    zh: ['用图表讲解产品收益结构，清楚易懂。'],
    en: ['Explained the return structure with a chart; very clear.'],
  },
  c_risk_disclosure: {
    zh: ['逐条讲解风险揭示书，并请我复述重点。'],
    en: ['Went through the risk disclosure point by point and checked I understood.'],
  },
  f_overall: { zh: ['服务专业细致，体验很好。'], en: ['Professional and attentive service throughout.'] },
};

/** Why an item did not apply. */
export const NA_COMMENTS: Record<string, Texts> = {
  c_dual_recording: {
    zh: ['产品风险等级R2且顾客未满65岁，按规定无需双录。'],
    en: ['Not required: low-risk product and the customer is under 65.'],
  },
  c_cooling_off: { zh: ['该产品无冷静期安排。'], en: ['The product has no cooling-off period.'] },
  g_lobby_guide: { zh: ['该网点规模小，未设大堂经理岗。'], en: ['Small branch without a lobby manager.'] },
  f_after_sale: { zh: ['暗访期间未发生售后咨询。'], en: ['No after-sale question arose during the audit period.'] },
  p_compare: {
    zh: ['顾客指定了产品，无需比较。'],
    en: ['I asked for a specific product, so no comparison was needed.'],
  },
};

/** Free-text notes (the questionnaire's text item), now and then. */
export const NOTES: Texts = {
  zh: [
    '理财经理同时接待两位客户，讲解时多次被打断。',
    '营业厅播放的宣传视频仍是上季度产品。',
    '排队叫号屏故障，由大堂经理口头叫号。',
    '员工提到本月有销售任务，建议尽快购买。',
  ],
  en: [
    'The adviser was serving two customers at once and kept being interrupted.',
    "The hall's promotional video still showed last quarter's products.",
    'The queue display was broken; the lobby manager called numbers out loud.',
  ],
};

export const SCENARIOS: Texts = {
  zh: [
    '以普通客户身份咨询一款R2级一年期理财产品，金额5万元，走到签约环节。',
    '咨询基金定投（每月3000元），比较两款产品后购买其一。',
    '为即将退休的父母咨询稳健型理财，金额20万元，了解风险与赎回规则。',
    '咨询大额存单与理财产品的区别，最终选择购买理财产品。',
  ],
  en: [
    'Walk in as a retail customer, ask about a balanced fund for HKD 50,000 and go as far as signing.',
    'Ask about a monthly investment plan (HKD 3,000), compare two funds and buy one.',
    'Enquire about a 12-month wealth product versus a time deposit for HKD 200,000.',
  ],
};

export const SUMMARIES: Record<'good' | 'fair' | 'poor', Texts> = {
  good: {
    zh: [
      '整体服务规范，讲解清楚，合规环节完整。',
      '员工热情专业，销售流程合规，等候时间短。',
      '服务良好，产品介绍准确，风险提示到位。',
    ],
    en: [
      'Service was professional; the sale followed every compliance step.',
      'Friendly, knowledgeable staff and a short wait.',
    ],
  },
  fair: {
    zh: ['服务基本规范，但费用说明和回访环节有欠缺。', '等候时间较长，产品讲解尚可，后续服务需加强。'],
    en: ['Acceptable service, but fees and follow-up were weak.', 'Long wait; the product explanation was adequate.'],
  },
  poor: {
    zh: ['服务明显不足，讲解敷衍，存在合规隐患。', '等候时间长、无人引导，销售环节不规范。'],
    en: ['Poor service with compliance gaps in the sale.', 'Long wait, no guidance, and a sloppy sales process.'],
  },
};

export const RETURN_NOTES: Texts = {
  zh: [
    '“双录”一项标记为不适用，请在备注中说明产品风险等级和顾客年龄。',
    '员工信息不完整：请根据工牌补充理财经理的工号。',
    '总结过于简略，请补充产品介绍环节的具体表述。',
    '费用说明一项的答案与备注矛盾，请核对后修改。',
  ],
  en: [
    "Dual recording is marked N/A: please state the product risk level and the customer's age in the comment.",
    "Staff identification incomplete: add the adviser's employee ID from the badge.",
    'The summary is too brief; describe what was said about fees.',
  ],
};

export const FIX_SUMMARY_SUFFIX: Record<Lang, string> = {
  zh: '（已按审核意见补充：理财经理工牌可见，费用在追问后说明。）',
  en: " (Added after review: the adviser's badge was visible; fees were explained only after I asked.)",
};

export const APPROVE_NOTES: Texts = {
  zh: ['审核通过。', '证据完整，通过。'],
  en: ['Approved.', 'Evidence complete; approved.'],
};
export const OUTSIDE_WINDOW_NOTE: Record<Lang, string> = {
  zh: '访问时间比窗口晚半天，经与项目组核实可接受，通过。',
  en: 'Visited half a day after the window; agreed with the project team, approved.',
};

export const UNNAMED_STAFF: Texts = {
  zh: ['未佩戴工牌的女性柜员，约25岁', '戴眼镜的男性理财经理，未见工牌', '门口引导的实习生'],
  en: ['A female teller without a name badge, about 25', 'A male adviser with glasses, badge not visible'],
};

export const PHOTO_NAMES: Record<Lang, string[]> = {
  zh: ['营业厅.png', '理财宣传区.png', '排队叫号屏.png', '价目表.png'],
  en: ['banking-hall.png', 'brochure-rack.png', 'queue-screen.png', 'fee-board.png'],
};
