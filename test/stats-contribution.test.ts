import { contributionOf, SCORE_SLOTS, TOTAL, type CountedVisit, type ItemInfo } from '../server/stats/contribution';

/**
 * What one counted visit adds to the kept statistics (SPEC §3, §15), worked out by hand: the scores
 * in slot order with anything that is not a finite number left out, the applicable answers with
 * their failure, the violations with their section, the staff once each. Pure.
 */

const visit = (over: Partial<CountedVisit> = {}): CountedVisit => ({
  rev: 3,
  visitedAt: new Date('2026-04-02T01:30:00Z'),
  questionnaireId: 'q1',
  questionnaireVersion: 2,
  auditorId: 'aud-1',
  status: 'approved',
  ...over,
});

const item = (key: string, over: Partial<ItemInfo> = {}): ItemInfo => ({
  key,
  type: 'yes_no',
  weight: 1,
  critical: false,
  allowNA: true,
  required: true,
  sectionKey: 'greeting',
  ...over,
});

describe('the score slots', () => {
  test('the four sections in order, then the total at TOTAL', () => {
    expect(SCORE_SLOTS).toEqual(['greeting', 'product_knowledge', 'sales_compliance', 'follow_up', 'total']);
    expect(SCORE_SLOTS[TOTAL]).toBe('total');
  });
});

describe('contributionOf', () => {
  test('the scores in slot order; 0 is a score, anything not a finite number is none', () => {
    const c = contributionOf(
      visit({
        scores: {
          sections: {
            greeting: 0,
            product_knowledge: Number.NaN,
            sales_compliance: Infinity,
            follow_up: '0.5' as unknown as number,
          },
          total: 0.25,
        },
      }),
      undefined,
    );
    expect(c.scores).toEqual([0, null, null, null, 0.25]);
  });

  test('sections named in any order land in their own slot; a missing one is none', () => {
    const c = contributionOf(
      visit({ scores: { sections: { follow_up: 0.1, greeting: 0.9 }, total: null } }),
      undefined,
    );
    expect(c.scores).toEqual([0.9, null, null, 0.1, null]);
  });

  test('no scores, or scores without sections: every slot is none but a stored total', () => {
    expect(contributionOf(visit({ scores: null }), undefined).scores).toEqual([null, null, null, null, null]);
    expect(contributionOf(visit({ scores: { sections: null, total: 0.7 } }), undefined).scores).toEqual([
      null,
      null,
      null,
      null,
      0.7,
    ]);
  });

  test('the visit itself: revision, auditor as text, when (ISO), the questionnaire version', () => {
    const c = contributionOf(visit({ auditorId: { toString: () => 'aud-9' } }), undefined);
    expect(c.rev).toBe(3);
    expect(c.auditorId).toBe('aud-9');
    expect(c.visitedAt).toBe('2026-04-02T01:30:00.000Z');
    expect(c.questionnaire).toBe('q1:2');
  });

  test('an open dispute marks the contribution; approved or any other status does not', () => {
    expect(contributionOf(visit({ status: 'disputed' }), undefined).disputed).toBe(true);
    expect(contributionOf(visit({ status: 'approved' }), undefined).disputed).toBe(false);
    expect(contributionOf(visit({ status: 'submitted' }), undefined).disputed).toBe(false);
  });

  test('each staff member once, in the order first named; no staff is an empty list', () => {
    expect(contributionOf(visit({ staffIds: ['s2', 's1', 's2', 's1', 's3'] }), undefined).staffIds).toEqual([
      's2',
      's1',
      's3',
    ]);
    expect(contributionOf(visit({ staffIds: null }), undefined).staffIds).toEqual([]);
    expect(contributionOf(visit(), undefined).staffIds).toEqual([]);
  });

  test('violations keep their section; one without a section has null; one without an item is dropped', () => {
    const c = contributionOf(
      visit({
        violations: [
          { itemKey: 'kyc', sectionKey: 'sales_compliance' },
          { itemKey: 'risk' },
          { itemKey: 'old', sectionKey: null },
          { itemKey: null, sectionKey: 'greeting' },
          { itemKey: '', sectionKey: 'greeting' },
        ],
      }),
      undefined,
    );
    expect(c.violations).toEqual([
      { itemKey: 'kyc', sectionKey: 'sales_compliance' },
      { itemKey: 'risk', sectionKey: null },
      { itemKey: 'old', sectionKey: null },
    ]);
    expect(contributionOf(visit({ violations: null }), undefined).violations).toEqual([]);
  });

  test('applicable answers in questionnaire order: failed when the item scores 0, not when partly met', () => {
    const items = new Map<string, ItemInfo>([
      ['greet', item('greet')],
      ['explain', item('explain', { type: 'scale', sectionKey: 'product_knowledge' })],
      ['kyc', item('kyc', { sectionKey: 'sales_compliance', critical: true })],
      ['skipped', item('skipped', { sectionKey: 'follow_up' })],
    ]);
    const c = contributionOf(
      visit({
        answers: [
          { itemKey: 'kyc', value: 'no' },
          { itemKey: 'explain', value: 3 },
          { itemKey: 'greet', value: 'yes' },
          { itemKey: 'skipped', value: 'na' },
        ],
      }),
      items,
    );
    expect(c.items).toEqual([
      { key: 'greet', section: 'greeting', failed: false },
      { key: 'explain', section: 'product_knowledge', failed: false },
      { key: 'kyc', section: 'sales_compliance', failed: true },
    ]);
  });

  test('a scale answer of 1 scores 0 and so counts as failed; 5 counts as met', () => {
    const items = new Map<string, ItemInfo>([
      ['low', item('low', { type: 'scale' })],
      ['high', item('high', { type: 'scale' })],
    ]);
    const c = contributionOf(
      visit({
        answers: [
          { itemKey: 'low', value: 1 },
          { itemKey: 'high', value: 5 },
        ],
      }),
      items,
    );
    expect(c.items).toEqual([
      { key: 'low', section: 'greeting', failed: true },
      { key: 'high', section: 'greeting', failed: false },
    ]);
  });

  test('an unknown questionnaire version counts no answers; no answers count nothing', () => {
    expect(contributionOf(visit({ answers: [{ itemKey: 'greet', value: 'no' }] }), undefined).items).toEqual([]);
    const items = new Map<string, ItemInfo>([['greet', item('greet')]]);
    expect(contributionOf(visit({ answers: null }), items).items).toEqual([]);
    expect(contributionOf(visit(), items).items).toEqual([]);
  });

  test('every visit with the same outcome of an item shares one frozen result (a quarter holds 3 million of them)', () => {
    const items = new Map<string, ItemInfo>([
      ['greet', item('greet')],
      ['kyc', item('kyc', { sectionKey: 'sales_compliance' })],
    ]);
    const answered = (greet: string, kyc: string) =>
      contributionOf(
        visit({
          answers: [
            { itemKey: 'greet', value: greet },
            { itemKey: 'kyc', value: kyc },
          ],
        }),
        items,
      ).items;
    const [a, b, c] = [answered('yes', 'no'), answered('yes', 'no'), answered('no', 'yes')];
    expect(b[0]).toBe(a[0]);
    expect(b[1]).toBe(a[1]);
    expect(c[0]).not.toBe(a[0]);
    expect(c).toEqual([
      { key: 'greet', section: 'greeting', failed: true },
      { key: 'kyc', section: 'sales_compliance', failed: false },
    ]);
    expect(answered('no', 'yes')[0]).toBe(c[0]);
    expect([...a, ...c].every((r) => Object.isFrozen(r))).toBe(true);
    // Another version's item of the same key is its own.
    expect(
      contributionOf(visit({ answers: [{ itemKey: 'greet', value: 'yes' }] }), new Map([['greet', item('greet')]]))
        .items[0],
    ).not.toBe(a[0]);
  });
});
