import { SessionRecord } from '../server/platform/db/session-store';
import { Visit } from '../server/visits/model';
import { OfflineRig, words } from './helpers/offline-phone';

/**
 * SPEC §9 "Offline", the harder returns (Debian's Chromium, 390×844, the app's listener closed while
 * the phone works): the sign-in expired meanwhile — nothing is sent or lost, the form says to sign in
 * again, and after signing in everything waiting goes; a submission queued offline that the platform
 * then refuses (an item unanswered) is explained, and the answers sent before it stay.
 */
const rig = new OfflineRig();

beforeAll(() => rig.start('BS'), 120_000);
afterAll(() => rig.stop());

test('an expired sign-in stops sending and says so; signed in again, the waiting answers go; a refused submission is explained', async () => {
  const { visitId } = await rig.draftVisit('开户（登录过期）');
  const problems: string[] = [];
  const { ctx, page } = await rig.phone('phone-3', 'en-US', problems);
  await rig.signIn(page);
  await rig.openWhileOnline(page, visitId);

  await rig.down();
  await page.check('input[name="a.g1"][value="yes"]');
  await page.fill('textarea[name="summary"]', '只回答了一题。');
  await page.waitForSelector('#save-status[data-state="phone"]');
  await page.click('button[value="submit"]');
  await page.waitForSelector('#sync-notice:not([hidden])');
  expect(await words(page, '#sync-notice')).toContain('Your submission is saved on this phone');

  // Hours later the session is gone (expired, or ended from another device).
  await SessionRecord.deleteMany({});
  await rig.up();
  await page.waitForSelector('#save-status[data-state="signin"]', { timeout: 60_000 });
  expect(await words(page, '#save-status')).toContain('Your sign-in has expired. Nothing is lost');
  const untouched = await Visit.findById(visitId).lean().orFail();
  expect(untouched.answers).toEqual([]);

  // Signed in again in another tab; the form, opened again, sends what waited.
  const tab = await ctx.newPage();
  await rig.signIn(tab);
  await tab.close();
  await page.goto(`/visits/${visitId}/edit`);
  await page.waitForSelector('#sync-notice:not([hidden]):has-text("not accepted")', { timeout: 60_000 });
  expect(await words(page, '#sync-notice')).toMatch(/The submission was not accepted: .+ Complete the form/);
  await expect(page.isChecked('input[name="a.g1"][value="yes"]')).resolves.toBe(true);
  const v = await Visit.findById(visitId).lean().orFail();
  expect(v.status).toBe('draft');
  expect(v.answers.map((a) => [a.itemKey, a.value])).toEqual([['g1', 'yes']]);
  expect(v.summary).toBe('只回答了一题。');
  expect(problems).toEqual([]);
  await ctx.close();
}, 240_000);
