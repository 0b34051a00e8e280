import { alertTransitions } from '../server/alerts/rules';
import { config, loadConfig, setConfig } from '../server/platform/config';
import { statesAfterEntries } from '../server/rules/visit-history';
import { deriveVisitEvents } from '../server/webhooks/derive';
import { retryDelayMs, retrySchedule } from '../server/webhooks/retry';
import { addressRefusal, urlProblem } from '../server/webhooks/target';

/** The pure rules behind alerts and webhooks: which events a history gives, the retry schedule, the SSRF guard. */
const at = (m: number) => new Date(Date.UTC(2026, 6, 1, 9, m));
const status = (before: string, after: string) => ({ field: 'status', before, after });
const approvedHistory = [
  { action: 'created', at: at(0), changes: [] },
  { action: 'submitted', at: at(1), changes: [status('draft', 'submitted')] },
  { action: 'returned', at: at(2), changes: [status('submitted', 'returned')] },
  { action: 'submitted', at: at(3), changes: [status('returned', 'submitted')] },
  { action: 'approved', at: at(4), changes: [status('submitted', 'approved')] },
];
const disputeOpened = {
  action: 'dispute_opened',
  at: at(5),
  changes: [
    { field: 'disputes.d1', before: null, after: { itemKey: 'c1', status: 'open' } },
    status('approved', 'disputed'),
  ],
};
const overturned = (violationsAfter: string[]) => ({
  action: 'dispute_overturned',
  at: at(6),
  changes: [
    { field: 'disputes.d1', before: 'open', after: 'overturned' },
    { field: 'answers.c1', before: 'no', after: 'yes' },
    { field: 'scores.sections.sales_compliance', before: 0, after: 50 },
    { field: 'scores.total', before: 55, after: 70 },
    { field: 'violations', before: ['c1'], after: violationsAfter },
    status('disputed', 'approved'),
  ],
});
const scores = (compliance: number, total: number) => ({ sections: { sales_compliance: compliance }, total });

test('the state after each history entry: status forwards, corrected figures backwards', () => {
  const history = [...approvedHistory, disputeOpened, overturned([])];
  const states = statesAfterEntries(history, { status: 'approved', violations: [], scores: scores(50, 70) });
  expect(states.map((s) => s.status)).toEqual([
    'draft',
    'submitted',
    'returned',
    'submitted',
    'approved',
    'disputed',
    'approved',
  ]);
  expect(states[4]).toMatchObject({ violations: ['c1'], total: 55, sections: { sales_compliance: 0 } });
  expect(states[6]).toMatchObject({ violations: [], total: 70, sections: { sales_compliance: 50 } });
});

describe('alert transitions', () => {
  test('approved with a violation: one alert; an overturn removing it: withdrawn', () => {
    const history = [...approvedHistory, disputeOpened, overturned([])];
    const t = alertTransitions(history, { status: 'approved', violations: [], scores: scores(50, 70) });
    expect(t.map((x) => [x.index, x.kind, x.round, x.itemKeys])).toEqual([
      [4, 'violation', 1, ['c1']],
      [6, 'withdrawn', 1, ['c1']],
    ]);
  });

  test('a dispute alone, or an overturn that leaves a violation, withdraws nothing', () => {
    const history = [...approvedHistory, disputeOpened, overturned(['c9'])];
    const t = alertTransitions(history, { status: 'approved', violations: ['c9'], scores: scores(0, 40) });
    expect(t.map((x) => x.kind)).toEqual(['violation']);
  });

  test('no violation, or not approved: no alert', () => {
    expect(alertTransitions(approvedHistory, { status: 'approved', violations: [], scores: scores(50, 70) })).toEqual(
      [],
    );
    expect(
      alertTransitions(approvedHistory.slice(0, 4), { status: 'submitted', violations: ['c1'], scores: scores(0, 1) }),
    ).toEqual([]);
  });
});

test('visit events from an entry on: the same ids and positions however often derived', () => {
  const v = {
    _id: 'v1',
    status: 'approved',
    violations: [],
    scores: scores(50, 70),
    history: [...approvedHistory, disputeOpened, overturned([])],
  };
  const all = deriveVisitEvents(v, 0);
  expect(all.map((e) => [e.type, e.position, e.id])).toEqual([
    ['visit.approved', 8, 'evt_v1_4'],
    ['alert.violation', 9, 'evt_v1_4_alert'],
    ['visit.disputed', 10, 'evt_v1_5'],
    ['dispute.resolved', 12, 'evt_v1_6'],
    ['alert.withdrawn', 13, 'evt_v1_6_alert'],
  ]);
  expect(all[2].dispute).toEqual({ disputeId: 'd1', itemKey: 'c1' });
  expect(all[3].dispute).toMatchObject({ disputeId: 'd1', decision: 'overturned' });
  expect(deriveVisitEvents(v, 5)).toEqual(all.slice(2));
});

test('retries grow and last at least 24 hours by default', () => {
  const schedule = retrySchedule('5,300,1800,7200,18000,36000,36000');
  expect(schedule.every((d, i) => i === 0 || d > schedule[i - 1] || d === schedule[i - 1])).toBe(true);
  expect(schedule.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24 * 3600_000);
  expect(retryDelayMs(1, schedule)).toBe(5000);
  expect(retryDelayMs(8, schedule)).toBeNull();
});

describe('the SSRF guard', () => {
  const saved = config();
  afterEach(() => setConfig(saved));

  test('private, link-local and unspecified addresses are refused; public ones pass', () => {
    for (const a of [
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
    ])
      expect(addressRefusal(a, 'x.example')).toMatch(/not allowed/);
    expect(addressRefusal('93.184.216.34', 'example.com')).toBeNull();
  });

  test('loopback is fine outside production only; https only in production; the allow-list lets inner targets in', () => {
    expect(addressRefusal('127.0.0.1', 'localhost')).toBeNull();
    setConfig(
      loadConfig({
        NODE_ENV: 'production',
        SESSION_SECRET: 'x'.repeat(40),
        WEBHOOK_ALLOWED_TARGETS: '10.20.0.0/16,hooks.bank.internal',
      }),
    );
    expect(addressRefusal('127.0.0.1', 'localhost')).toMatch(/loopback/);
    expect(urlProblem('http://hooks.bank.example/x')).toBe('must be https');
    expect(urlProblem('https://u:p@hooks.bank.example/x')).toMatch(/user name/);
    expect(addressRefusal('10.20.3.4', 'x')).toBeNull();
    expect(addressRefusal('10.21.3.4', 'x')).toMatch(/private/);
    expect(addressRefusal('192.168.1.1', 'hooks.bank.internal')).toBeNull();
  });
});
