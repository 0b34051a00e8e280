import type { Principal } from '../server/platform/access';
import { createQuestionnaireBody, type QuestionnaireRequest } from '../server/questionnaires/schema';
import { createQuestionnaire } from '../server/questionnaires/service';

/**
 * A realistic branch mystery-shopping questionnaire for a Chinese retail bank: a shopper asks about
 * a wealth-management product and goes as far as the purchase. The critical items are the ones
 * regulators sanction (risk disclosure, suitability, guaranteed-return promises, ID, 双录).
 *
 * It uses every item type of SPEC §10: waiting minutes and follow-up hours as numbers with score
 * bands, the recommended product and the risk match as choices, the risk points explained as a
 * multiple choice (a guaranteed-return promise scores −1), free-text notes. Its condition chain is
 * the suitability rule of wealth-product sales: the investment items are asked only when an
 * investment product was recommended; the risk match only when a risk-tolerance assessment was done
 * before the recommendation; the follow-up timing only when a follow-up was agreed.
 */
export type QuestionnaireBody = QuestionnaireRequest;
type Item = QuestionnaireBody['sections'][number]['items'][number];

const yn = (key: string, zh: string, en: string, extra: Partial<Item> = {}): Item => ({
  key,
  text: { zh, en },
  type: 'yes_no',
  ...extra,
});
const scale = (key: string, zh: string, en: string, extra: Partial<Item> = {}): Item => ({
  key,
  text: { zh, en },
  type: 'scale',
  ...extra,
});

const bi = (zh: string, en: string) => ({ zh, en });
const INVESTMENT = ['wealth', 'fund', 'insurance'];
const ifInvestment = { showIf: { item: 'p_product', in: INVESTMENT } };

const productItem: Item = {
  key: 'p_product',
  text: bi('员工推荐的产品类型', 'What kind of product the staff recommended'),
  type: 'choice',
  options: [
    { key: 'wealth', text: bi('银行理财产品', 'A bank wealth-management product'), score: null },
    { key: 'fund', text: bi('代销基金', 'A mutual fund sold for a partner'), score: null },
    { key: 'insurance', text: bi('代销保险（含分红险）', 'An insurance product (incl. participating)'), score: null },
    { key: 'deposit', text: bi('定期存款或大额存单', 'A time deposit or certificate of deposit'), score: null },
    { key: 'none', text: bi('未推荐任何产品', 'No product was recommended'), score: null },
  ],
  guidance: bi(
    '只记录事实，不计分；后面的适当性题目按此出现。',
    'Record what happened; not scored. The suitability items below appear by this answer.',
  ),
};

const disclosuresItem: Item = {
  key: 'c_disclosures',
  text: bi('讲解了哪些风险要点（可多选）', 'Which risk points were explained (tick all that apply)'),
  type: 'multi',
  weight: 2,
  options: [
    { key: 'principal', text: bi('可能亏损本金', 'The principal can be lost'), score: 0.35 },
    { key: 'liquidity', text: bi('赎回限制与流动性风险', 'Redemption limits and liquidity risk'), score: 0.25 },
    { key: 'past_perf', text: bi('过往业绩不代表未来收益', 'Past performance is no promise of returns'), score: 0.25 },
    { key: 'risk_level', text: bi('产品风险等级（R1–R5）', "The product's risk level (R1–R5)"), score: 0.15 },
    { key: 'guaranteed', text: bi('口头暗示“保本”“稳赚”', 'Hinted at a guaranteed principal or return'), score: -1 },
  ],
  guidance: bi(
    '勾选员工主动讲到的要点；若暗示保本稳赚，一并勾选（该项扣分）。',
    'Tick what the staff explained unprompted; tick the guarantee hint too if heard (it deducts).',
  ),
  ...ifInvestment,
};

export function demoQuestionnaireBody(bankId: string, name = '网点服务暗访问卷（理财销售）'): QuestionnaireBody {
  return {
    bankId,
    name,
    sections: [
      {
        key: 'greeting',
        weight: 20,
        items: [
          yn(
            'g_greet_30s',
            '顾客进门30秒内有员工主动问候',
            'A staff member greeted the customer within 30 seconds of entering',
          ),
          yn('g_eye_contact', '员工起身或有目光接触，面带微笑', 'Staff stood up or made eye contact, and smiled'),
          yn(
            'g_lobby_guide',
            '大堂经理主动询问业务需求并引导分流',
            'The lobby manager asked about the customer’s needs and directed them',
            { allowNA: true },
          ),
          yn(
            'g_queue_ticket',
            '取号时说明排队人数和预计等待时间',
            'The queue ticket, people ahead and expected waiting time were explained',
          ),
          {
            key: 'g_wait_time',
            text: bi('从取号到被接待的等待时间', 'Waiting time from ticket to being served'),
            type: 'number',
            min: 0,
            max: 300,
            unit: bi('分钟', 'min'),
            bands: [
              { max: 5, score: 1 },
              { max: 10, score: 0.75 },
              { max: 20, score: 0.5 },
              { max: 30, score: 0.25 },
            ],
            guidance: bi(
              '按号票时间与叫号时间计算，取整分钟。',
              'From the time on the ticket to being called, in whole minutes.',
            ),
          },
          scale(
            'g_environment',
            '营业厅整洁，宣传资料与价目表摆放规范',
            'The banking hall was clean; brochures and fee boards were in order',
          ),
          yn('g_attire', '员工着装规范并佩戴工牌', 'Staff wore the uniform and a name badge'),
        ],
      },
      {
        key: 'product_knowledge',
        weight: 25,
        items: [
          yn(
            'p_needs',
            '推荐产品前询问资金用途、投资期限和投资经验',
            'Asked about the purpose of the money, time horizon and investment experience before recommending',
          ),
          productItem,
          scale(
            'p_features',
            '准确介绍产品类型、投资方向和收益特征',
            'Explained the product type, what it invests in and how it earns, correctly',
            { weight: 2, ...ifInvestment },
          ),
          yn(
            'p_fees',
            '主动说明认购费、管理费、托管费等全部费用',
            'Disclosed all fees (subscription, management, custody) without being asked',
            { weight: 2, ...ifInvestment },
          ),
          yn('p_term', '说明产品期限、开放期和赎回规则', 'Explained the term, open periods and redemption rules'),
          yn(
            'p_not_deposit',
            '说明理财产品不是存款、不受存款保险保障',
            'Made clear that the product is not a deposit and not covered by deposit insurance',
            ifInvestment,
          ),
          scale(
            'p_answers',
            '对顾客追问的回答准确、专业',
            'Answered the customer’s follow-up questions accurately and professionally',
          ),
          yn('p_compare', '主动比较两种以上产品供顾客选择', 'Compared at least two alternative products', {
            allowNA: true,
          }),
          yn('p_materials', '提供产品说明书或销售文件', 'Handed over the product prospectus or sales documents'),
        ],
      },
      {
        key: 'sales_compliance',
        weight: 35,
        items: [
          yn(
            'c_suitability',
            '推荐产品前完成（或核对了有效期内的）风险承受能力评估',
            'A risk-tolerance (suitability) assessment was done, or a valid one checked, before recommending',
            {
              critical: true,
              weight: 2,
              evidenceOnFail: true,
              failureText: bi(
                '未做风险承受能力评估即推荐投资产品',
                'Investment product recommended without a suitability assessment',
              ),
              guidance: bi(
                '评估须在推荐之前；购买后补做视为未做。未做时请拍摄推荐材料或记录作为佐证。',
                'The assessment must come before the recommendation; one made after the purchase counts as none. If none, photograph the material you were given as evidence.',
              ),
              ...ifInvestment,
            },
          ),
          {
            key: 'c_risk_match',
            text: bi('推荐产品的风险等级与评估结果', "The recommended product's risk level against the assessment"),
            type: 'choice',
            critical: true,
            weight: 2,
            options: [
              { key: 'match', text: bi('不高于评估结果', 'Not above the assessed level'), score: 1 },
              {
                key: 'above_signed',
                text: bi(
                  '高于评估结果，已提示并由顾客书面确认',
                  'Above it, with a warning the customer confirmed in writing',
                ),
                score: 0.5,
              },
              { key: 'above', text: bi('高于评估结果且未提示', 'Above it, without any warning'), score: 0 },
            ],
            failureText: bi(
              '推荐产品风险等级高于客户评估结果且未提示',
              "Product above the customer's assessed risk level, without a warning",
            ),
            showIf: { item: 'c_suitability', in: ['yes'] },
          },
          disclosuresItem,
          yn(
            'c_risk_disclosure',
            '风险揭示书逐项讲解并由顾客亲笔签字确认',
            'The risk disclosure was explained point by point and signed by the customer',
            {
              critical: true,
              weight: 2,
              failureText: bi(
                '风险揭示书未逐项讲解或未由顾客亲笔签字',
                'Risk disclosure not explained point by point or not signed by the customer',
              ),
              ...ifInvestment,
            },
          ),
          yn(
            'c_no_guarantee',
            '未承诺保本保收益，未以历史业绩暗示预期收益',
            'No promise of guaranteed principal or returns; past performance not presented as expected return',
            {
              critical: true,
              weight: 2,
              failureText: bi(
                '承诺保本保收益或以历史业绩暗示收益',
                'Guaranteed principal or returns promised, or past performance presented as expected',
              ),
            },
          ),
          yn('c_id_check', '核验顾客本人有效身份证件', 'The customer’s valid ID was checked', { critical: true }),
          yn(
            'c_dual_recording',
            '在双录区对销售过程同步录音录像（双录）',
            'The sale was audio- and video-recorded in the recording area (双录)',
            { critical: true, allowNA: true },
          ),
          yn(
            'c_cooling_off',
            '告知投资冷静期及撤销权利',
            'The cooling-off period and the right to cancel were explained',
            { allowNA: true },
          ),
          yn('c_no_tied_sale', '未捆绑搭售保险或其他产品', 'No tied selling of insurance or other products'),
          yn(
            'c_qualification',
            '销售人员具备并出示代销/理财销售资格',
            'The seller held and showed the required sales qualification',
          ),
          yn(
            'c_privacy',
            '保护顾客个人信息（未大声念出证件号码，资料未随意放置）',
            'Personal data was protected (ID number not read aloud, papers not left lying around)',
          ),
        ],
      },
      {
        key: 'follow_up',
        weight: 20,
        items: [
          yn('f_contact', '主动提供联系方式或名片', 'Offered contact details or a business card'),
          yn('f_callback_agreed', '与顾客约定回访时间或方式', 'Agreed when and how to follow up'),
          yn(
            'f_callback_on_time',
            '在承诺时间内电话或短信回访',
            'Followed up by phone or message within the promised time',
            { showIf: { item: 'f_callback_agreed', in: ['yes'] } },
          ),
          {
            key: 'f_callback_hours',
            text: bi('回访距到访的时间', 'Hours from the visit to the follow-up'),
            type: 'number',
            min: 0,
            max: 720,
            unit: bi('小时', 'h'),
            bands: [
              { max: 24, score: 1 },
              { max: 48, score: 0.6 },
              { max: 72, score: 0.3 },
            ],
            required: false,
            showIf: { item: 'f_callback_on_time', in: ['yes', 'no'] },
          },
          scale(
            'f_after_sale',
            '对售后问题（赎回、到账、净值查询）答复及时准确',
            'After-sale questions (redemption, settlement, NAV) were answered promptly and correctly',
            { allowNA: true },
          ),
          yn('f_farewell', '顾客离开时礼貌道别', 'Said goodbye politely when the customer left'),
          scale('f_overall', '整体服务体验', 'Overall service experience', { weight: 2 }),
          {
            key: 'f_notes',
            text: bi('其他观察（不计分）', 'Other observations (not scored)'),
            type: 'text',
            required: false,
          },
        ],
      },
    ],
  };
}

/** Creates the demo questionnaire for a bank through the same validation and service as the API. */
export async function seedQuestionnaire(
  p: Principal,
  bankId: string,
  name?: string,
): Promise<{ id: string; version: number }> {
  return createQuestionnaire(p, createQuestionnaireBody.parse(demoQuestionnaireBody(bankId, name)));
}
