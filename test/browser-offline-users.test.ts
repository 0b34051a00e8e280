import type { Page } from 'playwright-core';
import request from 'supertest';
import { SessionRecord } from '../server/platform/db/session-store';
import { Visit } from '../server/visits/model';
import { bearer } from './helpers/app';
import { OfflineRig, words } from './helpers/offline-phone';
import { PASSWORD, windowAroundNow } from './helpers/visits';

/**
 * SPEC §9 "Offline" on a phone two auditors share (Debian's Chromium at 390×844, one persistent
 * profile): auditor A's sign-in expires (no sign-out) with answers still waiting on the phone, and
 * auditor B signs in. B never sees A's kept pages — online or with the platform unreachable — and B's
 * session never sends A's items; A's items are not lost: A's form says the sign-in expired, and once
 * A signs in again they go.
 */
const rig = new OfflineRig();

beforeAll(() => rig.start('BU'), 120_000);
afterAll(() => rig.stop());

async function signInAs(page: Page, email: string): Promise<void> {
  await page.goto('/login');
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${rig.base}/`), page.click('button[type="submit"]')]);
}

async function visitOfB(): Promise<{ visitId: string; assignmentId: string }> {
  const assignmentId = await rig.pw.w.assignment({
    bankId: rig.pw.bankId,
    branchCode: 'G1',
    auditorId: rig.pw.auditor2.id,
    questionnaireId: rig.pw.smallQuestionnaireId,
    quarter: '2026-Q4',
    ...windowAroundNow(),
    scenario: 'B 的任务',
  });
  const res = await request(rig.app)
    .post('/api/v1/visits')
    .set(bearer(rig.pw.auditor2.token))
    .send({ assignmentId, visitedAt: new Date(Date.now() - 10 * 60_000).toISOString(), durationMinutes: 20 });
  expect(res.status).toBe(201);
  return { visitId: res.body.id as string, assignmentId };
}

test("A's sign-in expires, B signs in on the same phone: B never sees A's kept pages or sends A's items; A's items wait for A", async () => {
  const a = await rig.draftVisit('A 的任务（共用手机）');
  const b = await visitOfB();
  const problems: string[] = [];
  const { ctx, page } = await rig.phone('shared-phone', 'en-US', problems);
  await signInAs(page, rig.pw.auditor.email);
  await rig.openWhileOnline(page, a.visitId);

  // A answers with no connection; meanwhile A's sign-in ends (expired — nobody signed out).
  await rig.down();
  await page.check('input[name="a.g1"][value="yes"]');
  await page.fill('textarea[name="summary"]', 'A 在本机的回答。');
  await page.waitForSelector('#save-status[data-state="phone"]');
  await SessionRecord.deleteMany({});
  await rig.up();
  await page.waitForSelector('#save-status[data-state="signin"]', { timeout: 60_000 });
  expect(await words(page, '#save-status')).toContain('Your sign-in has expired. Nothing is lost');

  // ---- B signs in on the same phone and opens their own list and form
  await signInAs(page, rig.pw.auditor2.email);
  await page.goto('/assignments');
  await page.waitForSelector('#offline-others:not([hidden])');
  expect(await words(page, '#offline-others')).toContain('Changes of another auditor are kept on this phone, not sent');
  await expect(page.locator(`#assignment-${a.assignmentId}`).count()).resolves.toBe(0);
  await expect(page.locator(`#assignment-${b.assignmentId}`).count()).resolves.toBe(1);
  await page.goto(`/visits/${b.visitId}/edit`);
  await page.waitForSelector('#visit-form[data-phone-copy]');
  // B's session sends nothing of A's.
  await page.waitForTimeout(1500);
  expect((await Visit.findById(a.visitId).lean().orFail()).answers).toEqual([]);

  // ---- the platform unreachable: B gets B's kept pages, never A's
  await rig.down();
  await page.goto(`/visits/${a.visitId}/edit`);
  expect(await words(page, 'main')).toContain('This page was not opened on this phone before');
  expect(await page.locator('#visit-form').count()).toBe(0);
  await page.goto('/assignments');
  await expect(page.locator(`#assignment-${b.assignmentId}`).count()).resolves.toBe(1);
  await expect(page.locator(`#assignment-${a.assignmentId}`).count()).resolves.toBe(0);
  expect(await page.getAttribute('#offline-context', 'data-user')).toBe(rig.pw.auditor2.id);
  await rig.shoot(page, 'shared-phone-b-offline', 'main');

  // ---- back online, B signs out and A signs in again: A's waiting answers go, once
  await rig.up();
  await page.goto('/assignments');
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/assignments')),
    page.click('form[action="/logout"] button'),
  ]);
  await signInAs(page, rig.pw.auditor.email);
  await page.goto(`/visits/${a.visitId}/edit`);
  await page.waitForSelector('#save-status[data-state="ok"]', { timeout: 60_000 });
  const v = await Visit.findById(a.visitId).lean().orFail();
  expect(v.answers.map((x) => [x.itemKey, x.value])).toEqual([['g1', 'yes']]);
  expect(v.summary).toBe('A 在本机的回答。');
  // Each change once (the saves made offline go as they were queued, none twice).
  const changed = v.history.flatMap((h) => h.changes.map((c) => c.field));
  expect(changed.filter((f) => f === 'answers.g1')).toHaveLength(1);
  expect(changed.filter((f) => f === 'summary')).toHaveLength(1);
  expect((await Visit.findById(b.visitId).lean().orFail()).answers).toEqual([]);
  expect(problems).toEqual([]);
  await ctx.close();
}, 300_000);
