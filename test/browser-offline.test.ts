import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { Visit } from '../server/visits/model';
import { bearer } from './helpers/app';
import { plainJpeg } from './helpers/evidence-images';
import { fileStates, filesListed, OfflineRig, recordAudio, textMatches, words } from './helpers/offline-phone';

/**
 * SPEC §9 "Offline" for real, on a phone (Debian's Chromium through playwright-core, 390×844, a
 * persistent profile like a phone's browser): the form is filled, a photo taken and audio recorded
 * with no connection — the app server's listener is closed, which is what a phone in a basement sees
 * (the browser's own offline switch does not reach service workers everywhere, microsoft/playwright#2311,
 * so it is set too but not relied on) — the page reloaded, the browser closed and opened again on the
 * same profile; then the server comes back on the same port and everything arrives once, in order.
 * A visit the reviewer returned meanwhile stops, explains itself and keeps the phone's answers.
 */
const rig = new OfflineRig();

beforeAll(() => rig.start('BO'), 120_000);
afterAll(() => rig.stop());

test('offline: fill, photo, audio, arrive, reload, close and reopen, submit; back online: one visit, everything once, in order', async () => {
  const { visitId, assignmentId } = await rig.draftVisit('开户（离线）');
  const problems: string[] = [];
  const profile = 'phone-1';
  let { ctx, page } = await rig.phone(profile, 'en-US', problems);
  await rig.signIn(page);
  await rig.openWhileOnline(page, visitId);

  // ---- the basement: the platform cannot be reached
  await rig.down();
  await ctx.setOffline(true);
  await page.check('input[name="a.g1"][value="yes"]');
  await page.check('input[name="a.g2"][value="4"]');
  await page.fill('textarea[name="summary"]', '大堂经理主动引导，介绍理财产品风险等级。');
  await page.waitForSelector('#save-status[data-state="phone"]');
  expect(await words(page, '#save-status')).toMatch(/Saved on this phone|No connection/);

  const photo = path.join(rig.dir, 'lobby.jpg');
  fs.writeFileSync(photo, plainJpeg(800, 600, 5));
  await page.selectOption('#evidence-form select[name="itemKey"]', 'g1');
  await page.setInputFiles('#capture-photo', photo);
  await page.selectOption('#evidence-form select[name="itemKey"]', 'c1');
  await recordAudio(page, 1500);
  await filesListed(2)(page);
  await page.click('#place button[data-kind="arrive"]');
  await textMatches(page, '#place [data-state="arrive"]', /on this phone/);
  await page.check('input[name="a.c1"][value="yes"]');
  await page.check('input[name="a.c2"][value="no"]');
  await page.check('input[name="a.p1"][value="na"]');
  await page.check('input[name="a.f1"][value="yes"]');
  await page.waitForSelector('#save-status[data-state="phone"]');
  expect(await fileStates(page)).toEqual(['queued', 'queued']);
  expect(await words(page, '#evidence-list')).toContain('Saved on this phone — not sent yet');
  await rig.shoot(page, 'offline-en', '#evidence');

  // ---- a reload with no connection: the kept page, the phone's answers and files
  await page.reload();
  await page.waitForSelector('#visit-form[data-phone-copy="shown"]');
  await expect(page.isChecked('input[name="a.c2"][value="no"]')).resolves.toBe(true);
  await expect(page.inputValue('textarea[name="summary"]')).resolves.toContain('大堂经理主动引导');
  await filesListed(2)(page);

  // ---- the browser closed and opened again on the same profile, still offline
  await ctx.close();
  ({ ctx, page } = await rig.phone(profile, 'en-US', problems));
  await ctx.setOffline(true);
  await page.goto(`/visits/${visitId}/edit`);
  await page.waitForSelector('#visit-form[data-phone-copy="shown"]');
  await expect(page.isChecked('input[name="a.g2"][value="4"]')).resolves.toBe(true);
  await expect(page.isChecked('input[name="a.f1"][value="yes"]')).resolves.toBe(true);
  await filesListed(2)(page);
  expect(await fileStates(page)).toEqual(['queued', 'queued']);
  expect(await words(page, '#place [data-state="arrive"]')).toMatch(/on this phone/);
  // A page never opened on this phone says so (both languages), rather than the browser's error.
  await page.goto('/account');
  expect(await words(page, 'main')).toContain('This page was not opened on this phone before');
  // The assignment list opens too, and says what still waits on the phone.
  await page.goto('/assignments');
  await expect(page.locator(`#assignment-${assignmentId}`).count()).resolves.toBe(1);
  await page.waitForSelector('#offline-waiting:not([hidden])');
  expect(await words(page, '#offline-waiting')).toMatch(/^\d+ changes kept on this phone, not sent yet$/);
  await page.goto(`/visits/${visitId}/edit`);

  // Submit with no connection: kept on the phone, after everything before it.
  await page.click('button[value="submit"]');
  await page.waitForSelector('#sync-notice:not([hidden])');
  expect(await words(page, '#sync-notice')).toContain('Your submission is saved on this phone');
  expect((await Visit.findById(visitId).lean().orFail()).answers).toEqual([]);

  // ---- the connection returns: sent in order, once
  await rig.up();
  await ctx.setOffline(false);
  await page.waitForURL(`${rig.base}/visits/${visitId}`, { timeout: 60_000 });
  const v = await Visit.findById(visitId).lean().orFail();
  expect(await Visit.countDocuments({ assignmentId: v.assignmentId })).toBe(1);
  expect(v.status).toBe('submitted');
  expect(Object.fromEntries(v.answers.map((a) => [a.itemKey, a.value]))).toEqual({
    g1: 'yes',
    g2: 4,
    p1: 'na',
    c1: 'yes',
    c2: 'no',
    f1: 'yes',
  });
  expect(v.summary).toBe('大堂经理主动引导，介绍理财产品风险等级。');
  expect(v.attachments.map((a) => [a.contentType.split('/')[0], a.itemKey ?? null])).toEqual([
    ['image', 'g1'],
    [expect.stringMatching(/audio|video/), 'c1'],
  ]);
  expect(v.attachments[0].filename).toBe('lobby.jpg');
  expect(v.attachments[1].filename).toMatch(/^audio-\d{8}-\d{6}\.(webm|ogg|m4a)$/);
  expect(v.attachments[1].size).toBeGreaterThan(1000);
  expect(v.locations?.map((l) => l.kind)).toEqual(['arrive']);
  // In the order they were made: answers, photo, recording, arrival, answers, submission.
  const actions = v.history.map((h) => h.action).filter((a, i, all) => a !== all[i - 1]);
  expect(actions).toEqual([
    'created',
    'updated',
    'attachment_added',
    expect.stringMatching(/location/),
    'updated',
    'submitted',
  ]);
  expect(v.history.filter((h) => h.action === 'attachment_added')).toHaveLength(2);
  expect(problems).toEqual([]);
  await ctx.close();
}, 240_000);

test('a visit returned by the reviewer while the phone was offline: sending stops, the conflict is explained, the phone keeps its answers', async () => {
  const { visitId } = await rig.draftVisit('理财咨询（冲突）');
  const problems: string[] = [];
  const { ctx, page } = await rig.phone('phone-2', 'zh-CN', problems);
  await rig.signIn(page);
  await rig.openWhileOnline(page, visitId);

  await rig.down();
  await ctx.setOffline(true);
  await page.check('input[name="a.g1"][value="no"]');
  await page.fill('textarea[name="summary"]', '手机上的回答：柜员未主动问候。');
  const photo = path.join(rig.dir, 'counter.jpg');
  fs.writeFileSync(photo, plainJpeg(640, 480, 9));
  await page.setInputFiles('#capture-photo', photo);
  await filesListed(1)(page);
  await page.waitForSelector('#save-status[data-state="phone"]');
  // The answers are kept on the phone once the form's autosave has run (it waits for a pause in the
  // typing); the queued photo alone already says "on this phone".
  const keptOnPhone = () =>
    page.evaluate(async (id) => ((await (globalThis as any).OfflineQueue.visit(id)).fields ?? {})['a.g1'], visitId);
  for (let i = 0; i < 100 && (await keptOnPhone()) !== 'no'; i++) await page.waitForTimeout(100);
  expect(await keptOnPhone()).toBe('no');
  expect(await words(page, '#evidence-list')).toContain('已保存在本机，尚未发送');
  await rig.shoot(page, 'offline-zh', '#evidence');

  // Meanwhile, from another device: the visit is completed and submitted, and the reviewer returns it.
  const note = '请补充：大堂经理是否介绍了风险等级？';
  const answers = ['g1', 'c1', 'c2'].map((itemKey) => ({ itemKey, value: 'yes' }));
  const all = [
    ...answers,
    { itemKey: 'g2', value: 3 },
    { itemKey: 'p1', value: 'na' },
    { itemKey: 'f1', value: 'yes' },
  ];
  const auditor = bearer(rig.pw.auditor.token);
  expect((await request(rig.app).patch(`/api/v1/visits/${visitId}`).set(auditor).send({ answers: all })).status).toBe(
    200,
  );
  expect((await request(rig.app).post(`/api/v1/visits/${visitId}/submit`).set(auditor)).status).toBe(200);
  const review = { decision: 'return', note };
  expect(
    (await request(rig.app).post(`/api/v1/visits/${visitId}/review`).set(bearer(rig.pw.reviewer.token)).send(review))
      .status,
  ).toBe(200);
  const platform = await Visit.findById(visitId).lean().orFail();

  // ---- back online: the phone's save is refused as stale; nothing of it is sent, it is explained
  await rig.up();
  await ctx.setOffline(false);
  await page.waitForSelector('#sync-conflict:not([hidden])', { timeout: 60_000 });
  const said = await words(page, '#sync-conflict');
  expect(said).toContain('本机离线期间，这次暗访在平台上已被更改');
  expect(said).toContain(note);
  expect(said).toContain('没有任何内容被覆盖或丢失');
  await expect(page.isChecked('input[name="a.g1"][value="no"]')).resolves.toBe(true);
  expect(await fileStates(page)).toEqual(['queued']);
  const after = await Visit.findById(visitId).lean().orFail();
  expect(after.rev).toBe(platform.rev);
  expect(after.answers.find((a) => a.itemKey === 'g1')?.value).toBe('yes');
  expect(after.attachments).toHaveLength(0);
  await rig.shoot(page, 'conflict-zh', '#sync-conflict');

  // The same page in English (the phone's copy and the conflict are still there).
  await page.goto(`/lang/en?next=/visits/${visitId}/edit`);
  await page.waitForSelector('#sync-conflict:not([hidden])');
  expect(await words(page, '#sync-conflict')).toContain('Nothing was overwritten and nothing was lost');
  // The box appears only once the phone's copy is back in the form (the page reads it from IndexedDB
  // after loading the platform's): "send my copy" clicked at once still sends the phone's answers.
  await expect(page.isChecked('input[name="a.g1"][value="no"]')).resolves.toBe(true);

  // ---- the auditor chooses to send the phone's copy over the returned visit
  await page.click('#sync-send-anyway');
  await page.waitForSelector('#save-status[data-state="ok"]', { timeout: 60_000 });
  const sent = await Visit.findById(visitId).lean().orFail();
  expect(sent.status).toBe('returned');
  expect(sent.answers.find((a) => a.itemKey === 'g1')?.value).toBe('no');
  expect(sent.summary).toBe('手机上的回答：柜员未主动问候。');
  expect(sent.attachments.map((a) => a.filename)).toEqual(['counter.jpg']);
  await expect(page.locator('#sync-conflict').isHidden()).resolves.toBe(true);
  expect(problems).toEqual([]);
  await ctx.close();
}, 240_000);
