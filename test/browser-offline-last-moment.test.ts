import { Visit } from '../server/visits/model';
import { OfflineRig } from './helpers/offline-phone';

/**
 * SPEC §9 "Offline": "a reload, a closed browser … nothing typed is lost". The form is kept on the
 * phone after a pause in the typing (the autosave's 1.2 s), and a page being left does not finish an
 * IndexedDB write; what was typed in the last moment before the page went is kept synchronously and
 * taken up by the next load (public/visit-form.js, lastMoment). Debian's Chromium at 390×844.
 */
const rig = new OfflineRig();

beforeAll(() => rig.start('LM'), 120_000);
afterAll(() => rig.stop());

test('answers typed just before a reload, with the platform out of reach, are in the form after it and reach the platform', async () => {
  const { visitId } = await rig.draftVisit('理财咨询（刷新）');
  const problems: string[] = [];
  const { ctx, page } = await rig.phone('phone-lm', 'zh-CN', problems);
  await rig.signIn(page);
  await rig.openWhileOnline(page, visitId);

  await rig.down();
  await ctx.setOffline(true);
  const summary = '刷新前最后一刻输入的总结';
  await page.check('input[name="a.g1"][value="no"]');
  await page.fill('textarea[name="summary"]', summary);
  await page.reload(); // at once: well within the autosave's pause

  await page.waitForSelector('#visit-form[data-phone-copy="shown"]');
  expect(await page.inputValue('textarea[name="summary"]')).toBe(summary);
  expect(await page.isChecked('input[name="a.g1"][value="no"]')).toBe(true);

  await rig.up();
  await ctx.setOffline(false);
  for (let i = 0; i < 300; i++) {
    const v = await Visit.findById(visitId).lean();
    if (v?.summary === summary) break;
    await page.waitForTimeout(100);
  }
  const v = await Visit.findById(visitId).lean().orFail();
  expect(v.summary).toBe(summary);
  expect(v.answers.find((a) => a.itemKey === 'g1')?.value).toBe('no');
  expect(problems).toEqual([]);
  await ctx.close();
}, 180_000);
