import type { Express } from 'express';
import { Types } from 'mongoose';
import { DEFAULT_LIMIT } from '../server/platform/http/paging';
import { Visit } from '../server/visits/model';
import { startTestApp, stopTestApp } from './helpers/app';
import { insertQuestionnaire, PASSWORD, VisitWorld } from './helpers/visits';
import { signIn } from './helpers/web';

/** The reviewer's queue page with more submitted visits than one page holds. */
let app: Express;
let w: VisitWorld;

beforeAll(async () => {
  app = await startTestApp();
  w = await VisitWorld.create(app);
});
afterAll(stopTestApp);

test('the queue page shows the longest waiting page and says that more are waiting', async () => {
  const bankId = await w.bank('QB1');
  await w.branch(bankId, 'N1', 'North');
  const questionnaireId = await insertQuestionnaire(bankId);
  const auditor = await w.user('qa1@firm.test', 'auditor');
  await w.user('qrev@firm.test', 'reviewer');
  const start = Date.now() - 10 * 86400_000;
  // Written straight to the database: the page, not the submission, is under test here.
  const docs = Array.from({ length: DEFAULT_LIMIT + 1 }, (_, i) => {
    const at = new Date(start + i * 60_000);
    return {
      assignmentId: new Types.ObjectId(),
      bankId,
      branchCode: 'N1',
      region: 'North',
      auditorId: auditor.id,
      questionnaireId,
      questionnaireVersion: 1,
      quarter: '2026-Q4',
      visitedAt: at,
      durationMinutes: 20,
      status: 'submitted',
      submittedAt: at,
      firstSubmittedAt: at,
      rev: 1,
      idempotencyKey: `q${i}`,
      scores: { sections: {}, total: 80 },
    };
  });
  await Visit.insertMany(docs);
  const oldest = (await Visit.find({ status: 'submitted' }, { _id: 1 }).sort({ submittedAt: 1 }).lean()).map((v) =>
    String(v._id),
  );

  const reviewer = await signIn(app, 'qrev@firm.test', PASSWORD, 'en');
  const page = await reviewer.get('/review');
  expect(page.status).toBe(200);
  const shown = [...page.text.matchAll(/data-visit="([a-f0-9]{24})"/g)].map((m) => m[1]);
  expect(shown).toEqual(oldest.slice(0, DEFAULT_LIMIT));
  expect(page.text).toContain(`Only the ${DEFAULT_LIMIT} longest waiting are shown`);

  // Once one is reviewed away, the whole queue fits and the note goes.
  await Visit.updateOne({ _id: oldest[0] }, { $set: { status: 'approved' }, $inc: { rev: 1 } });
  const after = await reviewer.get('/review');
  expect([...after.text.matchAll(/data-visit="([a-f0-9]{24})"/g)]).toHaveLength(DEFAULT_LIMIT);
  expect(after.text).not.toContain('longest waiting are shown');
});
