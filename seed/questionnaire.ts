import type { Principal } from '../server/platform/access';
import { createQuestionnaireBody, type QuestionnaireRequest } from '../server/questionnaires/schema';
import { createQuestionnaire } from '../server/questionnaires/service';

/**
 * A realistic branch mystery-shopping questionnaire for a Chinese retail bank: a shopper asks about
 * a wealth-management product and goes as far as the purchase. The critical items are the ones
 * regulators sanction (risk disclosure, suitability, guaranteed-return promises, ID, 双录).
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
          scale(
            'g_wait_time',
            '等待时间（5＝5分钟以内，1＝超过30分钟）',
            'Waiting time (5 = under 5 minutes, 1 = over 30 minutes)',
          ),
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
          scale(
            'p_features',
            '准确介绍产品类型、投资方向和收益特征',
            'Explained the product type, what it invests in and how it earns, correctly',
            { weight: 2 },
          ),
          yn(
            'p_fees',
            '主动说明认购费、管理费、托管费等全部费用',
            'Disclosed all fees (subscription, management, custody) without being asked',
            { weight: 2 },
          ),
          yn('p_term', '说明产品期限、开放期和赎回规则', 'Explained the term, open periods and redemption rules'),
          yn(
            'p_not_deposit',
            '说明理财产品不是存款、不受存款保险保障',
            'Made clear that the product is not a deposit and not covered by deposit insurance',
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
            'c_risk_disclosure',
            '风险揭示书逐项讲解并由顾客亲笔签字确认',
            'The risk disclosure was explained point by point and signed by the customer',
            { critical: true, weight: 2 },
          ),
          yn(
            'c_suitability',
            '销售前完成风险承受能力评估，产品风险等级与评估结果匹配',
            'A risk-tolerance (suitability) assessment was done before selling and the product matched it',
            { critical: true, weight: 2 },
          ),
          yn(
            'c_no_guarantee',
            '未承诺保本保收益，未以历史业绩暗示预期收益',
            'No promise of guaranteed principal or returns; past performance not presented as expected return',
            { critical: true, weight: 2 },
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
            { allowNA: true },
          ),
          scale(
            'f_after_sale',
            '对售后问题（赎回、到账、净值查询）答复及时准确',
            'After-sale questions (redemption, settlement, NAV) were answered promptly and correctly',
            { allowNA: true },
          ),
          yn('f_farewell', '顾客离开时礼貌道别', 'Said goodbye politely when the customer left'),
          scale('f_overall', '整体服务体验', 'Overall service experience', { weight: 2 }),
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
