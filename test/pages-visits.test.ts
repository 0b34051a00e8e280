import type { Express } from 'express';
import { Visit } from '../server/visits/model';
import { demoQuestionnaireBody } from '../seed/questionnaire';
import { ADMIN, startTestApp, stopTestApp } from './helpers/app';
import { assign, localHoursAgo, pagesWorld, pngImage, type PagesWorld } from './helpers/visit-pages';
import { PASSWORD } from './helpers/visits';
import { csrfFrom, csrfOf, signIn, type Agent, unmarked } from './helpers/web';

let app: Express;
let pw: PagesWorld;

beforeAll(async () => {
  app = await startTestApp();
  pw = await pagesWorld(app, 'PV');
});
afterAll(stopTestApp);

const as = (who: { email: string }, lang: 'en' | 'zh' = 'en') => signIn(app, who.email, PASSWORD, lang);
const COMPLETE = { 'a.g1': 'yes', 'a.g2': '4', 'a.p1': 'na', 'a.p2': '3', 'a.c1': 'yes', 'a.c2': 'no', 'a.f1': 'yes' };

/** Starts the visit of an assignment through the assignments page; returns the new visit's id. */
async function startVisit(agent: Agent, assignmentId: string, local = localHoursAgo(2).local): Promise<string> {
  const token = await csrfOf(agent, '/assignments');
  const res = await agent
    .post(`/assignments/${assignmentId}/start`)
    .type('form')
    .send({ _csrf: token, visitedAt: local, durationMinutes: '25' });
  expect(res.status).toBe(303);
  const id = /^\/visits\/([a-f0-9]{24})\/edit$/.exec(res.headers.location)?.[1];
  if (!id) throw new Error(`unexpected redirect ${res.headers.location}`);
  return id;
}

async function saveForm(agent: Agent, id: string, fields: Record<string, string>) {
  const page = await agent.get(`/visits/${id}/edit`);
  expect(page.status).toBe(200);
  const rev = /name="rev" value="(\d+)"/.exec(page.text)?.[1] ?? '';
  return agent
    .post(`/visits/${id}/edit`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), rev, ...fields });
}

const stored = async (id: string) => Visit.findById(id).lean().orFail();

/** A submitted visit of the small questionnaire, made through the pages. */
async function submittedVisit(scenario: string): Promise<{ agent: Agent; id: string }> {
  const agent = await as(pw.auditor);
  const id = await startVisit(agent, await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, scenario));
  const res = await saveForm(agent, id, { ...COMPLETE, action: 'submit' });
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe(`/visits/${id}`);
  return { agent, id };
}

describe('assignments page', () => {
  test('an auditor sees only their own assignments, with branch, window, scenario and visit state', async () => {
    await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'Scenario-own-一');
    await assign(pw, pw.auditor2, 'S1', pw.smallQuestionnaireId, 'Scenario-other-二');
    const page = await (await as(pw.auditor)).get('/assignments');
    page.text = unmarked(page.text);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Scenario-own-一');
    expect(page.text).toContain('支行 N1');
    expect(page.text).toContain('Not started');
    expect(page.text).not.toContain('Scenario-other-二');
    expect(page.text).toContain('href="/assignments"'); // the nav link for auditors
    const reviewer = await as(pw.reviewer);
    expect((await reviewer.get('/assignments')).status).toBe(403);
  });

  test('"start visit" asks time and duration, creates the draft in the bank\'s time zone and opens the form', async () => {
    const agent = await as(pw.auditor);
    const assignmentId = await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'start-test');
    const token = await csrfOf(agent, '/assignments');
    const bad = await agent
      .post(`/assignments/${assignmentId}/start`)
      .type('form')
      .send({ _csrf: token, visitedAt: 'yesterday', durationMinutes: '' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Enter a valid date and time.');
    expect(await Visit.countDocuments({ assignmentId })).toBe(0);

    const when = localHoursAgo(3);
    const id = await startVisit(agent, assignmentId, when.local);
    const v = await stored(id);
    expect(v.status).toBe('draft');
    expect(v.visitedAt.toISOString()).toBe(new Date(when.iso).toISOString());
    expect(v.durationMinutes).toBe(25);
    const list = await agent.get('/assignments');
    expect(list.text).toContain(`/visits/${id}/edit`);
    expect(list.text).toContain('Draft');
    // A second tap on "start" opens the same visit instead of failing.
    const again = await agent
      .post(`/assignments/${assignmentId}/start`)
      .type('form')
      .send({ _csrf: token, visitedAt: when.local, durationMinutes: '25' });
    expect(again.headers.location).toBe(`/visits/${id}/edit`);
    // Another auditor cannot start it.
    const other = await as(pw.auditor2);
    const res = await other
      .post(`/assignments/${assignmentId}/start`)
      .type('form')
      .send({ _csrf: await csrfOf(other, '/assignments'), visitedAt: when.local, durationMinutes: '5' });
    expect(res.status).toBe(404);
  });
});

describe('a visit time outside the assignment window', () => {
  test('is refused in the page language with the window in the bank zone, then kept once confirmed; the quarter stays', async () => {
    const agent = await as(pw.auditor, 'zh');
    const assignmentId = await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'window-test');
    const token = await csrfOf(agent, '/assignments');
    const typo = { _csrf: token, visitedAt: '2030-01-01T10:00', durationMinutes: '25' };
    const refused = await agent.post(`/assignments/${assignmentId}/start`).type('form').send(typo);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('该时间不在任务时间窗口内');
    expect(refused.text).toContain('2026-');
    expect(refused.text).toContain('name="confirmOutsideWindow"');
    expect(await Visit.countDocuments({ assignmentId })).toBe(0);
    const kept = await agent
      .post(`/assignments/${assignmentId}/start`)
      .type('form')
      .send({ ...typo, confirmOutsideWindow: '1' });
    expect(kept.status).toBe(303);
    const v = await Visit.findOne({ assignmentId }).lean().orFail();
    expect(v.quarter).toBe('2026-Q3');
    expect(v.flags.map((f) => f.code)).toContain('outside_window');

    // The form: the window is shown, the box is there for the flagged visit; a new typo is refused again.
    const id = String(v._id);
    const form = await agent.get(`/visits/${id}/edit`);
    expect(form.text).toContain('任务时间窗口：');
    expect(form.text).toMatch(/id="confirm-window"\s*>/);
    const inside = localHoursAgo(2).local;
    expect((await saveForm(agent, id, { visitedAt: inside, durationMinutes: '25' })).status).toBe(303);
    const again = await saveForm(agent, id, { visitedAt: '2031-01-01T10:00', durationMinutes: '25' });
    expect(again.status).toBe(422);
    expect(again.text).toContain('请核对日期');
    expect((await stored(id)).visitedAt.toISOString()).toBe(new Date(localHoursAgo(2).iso).toISOString());
  });
});

describe('the visit form', () => {
  test('renders the seed questionnaire: sections in order, texts in the page language, the control of each type, N/A only where allowed, conditional items hidden, staff list', async () => {
    const agent = await as(pw.auditor);
    const id = await startVisit(agent, await assign(pw, pw.auditor, 'N1', pw.seedQuestionnaireId, 'seed-form'));
    const page = await agent.get(`/visits/${id}/edit`);
    expect(page.status).toBe(200);
    const body = demoQuestionnaireBody(pw.bankId);
    const items = body.sections.flatMap((s) => s.items);
    expect(items.length).toBeGreaterThanOrEqual(24);
    // The texts appear HTML-escaped, so compare on the escaped form.
    const esc = (s: string) =>
      s
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&#x27;')
        .replace(/=/g, '&#x3D;')
        .replace(/`/g, '&#x60;');
    let last = -1;
    for (const item of items) {
      const at = page.text.indexOf(esc(item.text.en));
      expect(at).toBeGreaterThan(last); // present, and in questionnaire order
      last = at;
      const na =
        page.text.includes(`name="a.${item.key}" value="na"`) || page.text.includes(`name="a.${item.key}:_na"`);
      expect(na).toBe(Boolean(item.allowNA));
      if (item.type === 'scale')
        for (const n of [1, 2, 3, 4, 5]) expect(page.text).toContain(`name="a.${item.key}" value="${n}"`);
      else if (item.type === 'yes_no') expect(page.text).toContain(`name="a.${item.key}" value="no"`);
      else if (item.type === 'number') expect(page.text).toContain(`type="number" name="a.${item.key}"`);
      else if (item.type === 'choice')
        for (const o of item.options ?? []) expect(page.text).toContain(`name="a.${item.key}" value="${o.key}"`);
      else if (item.type === 'multi') {
        for (const o of item.options ?? []) expect(page.text).toContain(`name="a.${item.key}:${o.key}"`);
        expect(page.text).toContain(`name="a.${item.key}:_none"`);
      } else expect(page.text).toContain(`<textarea class="v-text-answer" name="a.${item.key}"`);
      expect(page.text).toContain(`name="c.${item.key}"`);
      // Nothing is answered yet, so every item with a condition starts hidden, and only those.
      const fieldset = new RegExp(`<fieldset [^>]*id="item-${item.key}"[^>]*>`).exec(page.text)?.[0] ?? '';
      expect(fieldset.includes(' hidden')).toBe(Boolean(item.showIf));
    }
    const sectionsAt = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'].map((k) =>
      page.text.indexOf(`id="section-${k}"`),
    );
    expect(sectionsAt.every((v, i) => v > 0 && (i === 0 || v > sectionsAt[i - 1]))).toBe(true);
    expect(page.text).toContain('<option value="E1"');
    expect(page.text).toContain('<script src="/static/visit-form.js"');
    expect(page.text).not.toMatch(/<script>(?!<\/script>)/); // no inline script (CSP script-src 'self')

    const zh = await as(pw.auditor, 'zh');
    const zhPage = await zh.get(`/visits/${id}/edit`);
    expect(zhPage.text).toContain(items[0].text.zh);
    expect(zhPage.text).not.toContain(esc(items[0].text.en));
    expect(zhPage.text).toContain('迎接顾客');
  });

  test('Save posts the form: answers, comments, staff (from the list and by description), summary are stored and shown again', async () => {
    const agent = await as(pw.auditor);
    const id = await startVisit(agent, await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'save-form'));
    const res = await saveForm(agent, id, {
      'a.g1': 'no',
      'a.g2': '2',
      'c.g1': '无人问候',
      'staff.0.employeeId': 'E1',
      'staff.0.description': '',
      'staff.1.employeeId': '',
      'staff.1.description': '戴眼镜的柜员',
      summary: '整体一般',
      durationMinutes: '40',
      action: 'save',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/visits/${id}/edit`);
    const v = await stored(id);
    expect(v.answers).toEqual([
      { itemKey: 'g1', value: 'no', comment: '无人问候' },
      { itemKey: 'g2', value: 2 },
    ]);
    expect(v.staff).toEqual([{ employeeId: 'E1', name: '员工 E1' }, { description: '戴眼镜的柜员' }]);
    expect(v.summary).toBe('整体一般');
    expect(v.durationMinutes).toBe(40);
    expect(v.history.map((h) => h.action)).toEqual(['created', 'updated']);

    const again = await agent.get(res.headers.location);
    expect(again.text).toContain('Draft saved.');
    expect(again.text).toContain('name="a.g1" value="no" checked');
    expect(again.text).toContain('name="a.g2" value="2" checked');
    expect(again.text).toContain('无人问候');
    expect(again.text).toContain('<option value="E1" selected');
    expect(again.text).toContain('value="戴眼镜的柜员"');

    // A wrong value is shown at its item, in the page language, and nothing is written.
    const bad = await saveForm(agent, id, { 'a.g1': 'maybe', action: 'save' });
    expect(bad.status).toBe(422);
    expect(bad.text).toMatch(/id="item-g1"[^>]*/);
    expect(bad.text).toContain('Pick one of the offered answers.');
    expect((await stored(id)).answers).toHaveLength(2);
  });

  test('the JSON draft route autosaves with the CSRF header, guards the revision and reports errors per field', async () => {
    const agent = await as(pw.auditor);
    const id = await startVisit(agent, await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'draft-json'));
    const token = await csrfOf(agent, `/visits/${id}/edit`);
    const rev = (await stored(id)).rev;

    const noToken = await agent.post(`/visits/${id}/draft`).send({ 'a.g1': 'yes', rev: String(rev) });
    expect(noToken.status).toBe(403);
    expect((await stored(id)).answers).toHaveLength(0);

    const ok = await agent
      .post(`/visits/${id}/draft`)
      .set('X-CSRF-Token', token)
      .set('Accept', 'application/json')
      .send({ 'a.g1': 'yes', 'a.c1': 'no', 'c.c1': '未读风险揭示', rev: String(rev) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id, rev: rev + 1, status: 'draft', answered: 2 });
    const v = await stored(id);
    expect(v.answers).toEqual([
      { itemKey: 'g1', value: 'yes' },
      { itemKey: 'c1', value: 'no', comment: '未读风险揭示' },
    ]);
    expect(v.violations.map((x) => x.itemKey)).toEqual(['c1']);

    // Resumable: reloading the form shows what autosave stored.
    const page = await agent.get(`/visits/${id}/edit`);
    expect(page.text).toContain('name="a.c1" value="no" checked');
    expect(page.text).toContain(`name="rev" value="${rev + 1}"`);

    const stale = await agent
      .post(`/visits/${id}/draft`)
      .set('X-CSRF-Token', token)
      .send({ 'a.g1': 'no', rev: String(rev) });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');
    const invalid = await agent
      .post(`/visits/${id}/draft`)
      .set('X-CSRF-Token', token)
      .send({ 'a.p1': 'na', 'a.g1': '7', rev: String(rev + 1) });
    expect(invalid.status).toBe(422);
    expect(Object.keys(invalid.body.error.fields)).toEqual(['a.g1']);
    expect((await stored(id)).answers.map((a) => a.value)).toEqual(['yes', 'no']);
    const notObject = await agent
      .post(`/visits/${id}/draft`)
      .set('X-CSRF-Token', token)
      .set('Content-Type', 'application/json')
      .send('[1,2]');
    expect(notObject.status).toBe(400);
  });

  test('Submit with required items missing lists them with links; the draft is saved but not submitted', async () => {
    const agent = await as(pw.auditor);
    const id = await startVisit(agent, await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'missing'));
    const res = await saveForm(agent, id, { 'a.g1': 'yes', 'a.g2': '5', 'a.p1': 'yes', action: 'submit' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('These required items are not answered yet:');
    for (const key of ['c1', 'c2', 'f1']) expect(res.text).toContain(`href="#item-${key}"`);
    expect(res.text).toContain('Sales compliance · Item c1');
    expect(res.text).not.toContain('href="#item-p2"'); // optional
    expect(res.text).not.toContain('href="#item-g1"');
    expect(res.text).toMatch(/class="v-item [^"]*v-missing-item[^"]*" id="item-c1"/);
    const v = await stored(id);
    expect(v.status).toBe('draft');
    expect(v.answers).toHaveLength(3);
  });

  test('another auditor gets 404 on every visit page and route', async () => {
    const { id } = await submittedVisit('foreign');
    const other = await as(pw.auditor2);
    expect((await other.get(`/visits/${id}`)).status).toBe(404);
    expect((await other.get(`/visits/${id}/edit`)).status).toBe(404);
    const token = await csrfOf(other, '/assignments');
    expect((await other.post(`/visits/${id}/edit`).type('form').send({ _csrf: token, 'a.g1': 'no' })).status).toBe(404);
    const draft = await other.post(`/visits/${id}/draft`).set('X-CSRF-Token', token).send({ 'a.g1': 'no' });
    expect(draft.status).toBe(404);
    expect(draft.body.error.code).toBe('not_found');
    const upload = await other
      .post(`/visits/${id}/attachments?_csrf=${token}`)
      .set('Accept', 'application/json')
      .attach('file', pngImage(), 'x.png');
    expect(upload.status).toBe(404);
    expect((await stored(id)).answers.find((a) => a.itemKey === 'g1')?.value).toBe('yes');
  });

  test('after submit the visit is read-only: the form redirects, saves are refused, the read view shows the answers', async () => {
    const { agent, id } = await submittedVisit('read-only');
    const edit = await agent.get(`/visits/${id}/edit`);
    expect(edit.status).toBe(303);
    expect(edit.headers.location).toBe(`/visits/${id}`);
    const view = await agent.get(`/visits/${id}`);
    expect(view.status).toBe(200);
    expect(view.text).toContain('Submitted');
    expect(view.text).toContain('Item c2');
    expect(view.text).not.toContain('name="a.g1"');
    expect(view.text).not.toContain('Edit the visit');
    const token = csrfFrom(view.text);
    const post = await agent
      .post(`/visits/${id}/edit`)
      .type('form')
      .send({ _csrf: token, 'a.g1': 'no', action: 'save' });
    expect(post.status).toBe(303);
    const draft = await agent.post(`/visits/${id}/draft`).set('X-CSRF-Token', token).send({ 'a.g1': 'no' });
    expect(draft.status).toBe(409);
    const upload = await agent
      .post(`/visits/${id}/attachments?_csrf=${token}`)
      .set('Accept', 'application/json')
      .attach('file', pngImage(8, 8, 9), 'late.png');
    expect(upload.status).toBe(409);
    const v = await stored(id);
    expect(v.answers.find((a) => a.itemKey === 'g1')?.value).toBe('yes');
    expect(v.attachments).toHaveLength(0);
  });
});

describe('evidence', () => {
  test("the plain form and the script's request both attach; images are served inline; wrong types refused", async () => {
    const agent = await as(pw.auditor);
    const id = await startVisit(agent, await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'evidence'));
    const page = await agent.get(`/visits/${id}/edit`);
    const token = csrfFrom(page.text);
    expect(page.text).toContain(`action="/visits/${id}/attachments?_csrf=${token}"`);

    const plain = await agent
      .post(`/visits/${id}/attachments?_csrf=${token}`)
      .attach('file', pngImage(20, 10, 1), '门头.png');
    expect(plain.status).toBe(303);
    expect(plain.headers.location).toBe(`/visits/${id}/edit#evidence`);
    const viaScript = await agent
      .post(`/visits/${id}/attachments?_csrf=${token}`)
      .set('Accept', 'application/json')
      .attach('file', pngImage(20, 10, 2), 'counter.png');
    expect(viaScript.status).toBe(201);
    expect(viaScript.body).toMatchObject({ filename: 'counter.png', contentType: 'image/png', image: true });
    expect(viaScript.body.url).toBe(`/visits/${id}/attachments/${viaScript.body.id}`);
    const v = await stored(id);
    expect(viaScript.body.rev).toBe(v.rev);
    expect(v.attachments.map((a) => a.filename)).toEqual(['门头.png', 'counter.png']);

    const file = await agent.get(viaScript.body.url).buffer(true);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['content-disposition']).toMatch(/^inline/);
    expect(Buffer.compare(file.body as Buffer, pngImage(20, 10, 2))).toBe(0);
    const again = await agent.get(`/visits/${id}/edit`);
    expect(again.text).toContain(`<img class="v-thumb" src="${viaScript.body.url}"`);

    const text = await agent
      .post(`/visits/${id}/attachments?_csrf=${token}`)
      .set('Accept', 'application/json')
      .attach('file', Buffer.from('just some text, not evidence'), 'photo.jpg');
    expect(text.status).toBe(415);
    const noCsrf = await agent
      .post(`/visits/${id}/attachments`)
      .set('Accept', 'application/json')
      .attach('file', pngImage(20, 10, 3), 'x.png');
    expect(noCsrf.status).toBe(403);
    expect((await stored(id)).attachments).toHaveLength(2);

    const removeWithout = await agent
      .post(`/visits/${id}/attachments/${viaScript.body.id}/remove`)
      .type('form')
      .send({});
    expect(removeWithout.status).toBe(403);
    const removed = await agent
      .post(`/visits/${id}/attachments/${viaScript.body.id}/remove`)
      .type('form')
      .send({ _csrf: token });
    expect(removed.status).toBe(303);
    expect((await stored(id)).attachments.find((a) => a.filename === 'counter.png')?.removedAt).toBeTruthy();
  });
});

describe('review', () => {
  test("the reviewer's queue lists submitted visits oldest first with flags and evidence counts; auditors may not open it", async () => {
    const first = await submittedVisit('queue-1');
    // A later visit with a file and a flag (an implausible duration).
    const agent = await as(pw.auditor);
    const id2 = await startVisit(agent, await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'queue-2'));
    const token = await csrfOf(agent, `/visits/${id2}/edit`);
    expect(
      (await agent.post(`/visits/${id2}/attachments?_csrf=${token}`).attach('file', pngImage(10, 10, 4), 'a.png'))
        .status,
    ).toBe(303);
    expect((await saveForm(agent, id2, { ...COMPLETE, durationMinutes: '1', action: 'submit' })).status).toBe(303);

    const reviewer = await as(pw.reviewer);
    const queue = await reviewer.get('/review');
    expect(queue.status).toBe(200);
    const at1 = queue.text.indexOf(`data-visit="${first.id}"`);
    const at2 = queue.text.indexOf(`data-visit="${id2}"`);
    expect(at1).toBeGreaterThan(0);
    expect(at2).toBeGreaterThan(at1);
    const row2 = queue.text.slice(at2, queue.text.indexOf('</tr>', at2));
    expect(row2).toContain('Implausible duration');
    expect(row2).toMatch(/<td>1<\/td>/);
    expect(queue.text).toContain('href="/review"'); // nav
    expect((await (await as(pw.auditor)).get('/review')).status).toBe(403);
    const admin = await signIn(app, ADMIN.email, ADMIN.password, 'en');
    expect((await admin.get('/review')).text).toContain(`data-visit="${id2}"`);
    // The admin reads the visit but has no review form.
    const adminView = await admin.get(`/visits/${id2}`);
    expect(adminView.status).toBe(200);
    expect(adminView.text).not.toContain(`action="/visits/${id2}/review"`);
  });

  test('returning needs a note; the auditor sees the note, corrects and resubmits; approval makes the visit visible to the bank in scope', async () => {
    const { agent, id } = await submittedVisit('return-approve');
    const reviewer = await as(pw.reviewer);
    const view = await reviewer.get(`/visits/${id}`);
    expect(view.status).toBe(200);
    expect(view.text).toContain(`action="/visits/${id}/review"`);
    expect(view.text).toContain('70.4'); // total, one decimal (see test/helpers/visits EXPECTED)
    expect(view.text).toContain('Greeting <span class="muted">· 91.7</span>');
    const token = csrfFrom(view.text);

    const noNote = await reviewer
      .post(`/visits/${id}/review`)
      .type('form')
      .send({ _csrf: token, decision: 'return', note: '  ' });
    expect(noNote.status).toBe(422);
    expect(noNote.text).toContain('Write a note saying what the auditor must correct.');
    expect((await stored(id)).status).toBe('submitted');
    const noCsrf = await reviewer.post(`/visits/${id}/review`).type('form').send({ decision: 'approve' });
    expect(noCsrf.status).toBe(403);
    expect((await stored(id)).status).toBe('submitted');

    const returned = await reviewer
      .post(`/visits/${id}/review`)
      .type('form')
      .send({ _csrf: token, decision: 'return', note: 'c2 应为“是”，请核对录音' });
    expect(returned.status).toBe(303);
    expect((await stored(id)).status).toBe('returned');
    const edit = await agent.get(`/visits/${id}/edit`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('Returned by the reviewer');
    expect(unmarked(edit.text)).toContain('c2 应为“是”，请核对录音');
    expect((await saveForm(agent, id, { ...COMPLETE, 'a.c2': 'yes', action: 'submit' })).status).toBe(303);
    expect((await stored(id)).status).toBe('submitted');

    // Bank users see nothing before approval.
    const manager = await as(pw.manager);
    expect((await manager.get(`/visits/${id}`)).status).toBe(404);

    const requeued = await reviewer.get('/review');
    expect(requeued.text.slice(requeued.text.indexOf(`data-visit="${id}"`))).toContain('resubmitted');
    const approved = await reviewer
      .post(`/visits/${id}/review`)
      .type('form')
      // No arrival was recorded (SPEC §9 no_location): the reviewer acknowledges the flag.
      .send({ _csrf: token, decision: 'approve', note: '', ack: 'no_location' });
    expect(approved.status).toBe(303);
    const v = await stored(id);
    expect(v.status).toBe('approved');
    expect(v.history.map((h) => h.action)).toEqual([
      'created',
      'updated',
      'submitted',
      'returned',
      'updated',
      'submitted',
      'approved',
    ]);

    const full = await reviewer.get(`/visits/${id}`);
    full.text = unmarked(full.text);
    expect(full.text).not.toContain(`action="/visits/${id}/review"`);
    expect(full.text).toContain('<div class="v-history-note">“c2 应为“是”，请核对录音”</div>');
    // The history names the item by its text and the answers in words, never a key or a raw value.
    expect(full.text).toMatch(/<span class="v-change-field">Item c2<\/span>: No → Yes/);
    expect(full.text).not.toContain('answers.c2');
    expect(full.text).toContain('aud'); // the firm sees the auditor's name

    const bankView = await manager.get(`/visits/${id}`);
    expect(bankView.status).toBe(200);
    expect(bankView.text).toContain('Approved');
    expect(bankView.text).not.toContain(pw.auditor.id);
    expect(bankView.text).not.toContain(pw.auditor.email);
    const other = await as(pw.otherManager);
    expect((await other.get(`/visits/${id}`)).status).toBe(404);
    const auditor2 = await as(pw.auditor2);
    expect((await auditor2.get(`/visits/${id}`)).status).toBe(404);
  });
});

describe('CSRF', () => {
  test('each form refuses a post without the token and writes nothing', async () => {
    const agent = await as(pw.auditor);
    const assignmentId = await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'csrf');
    const start = await agent
      .post(`/assignments/${assignmentId}/start`)
      .type('form')
      .send({ visitedAt: localHoursAgo(1).local, durationMinutes: '10' });
    expect(start.status).toBe(403);
    expect(await Visit.countDocuments({ assignmentId })).toBe(0);
    const id = await startVisit(agent, assignmentId);
    const save = await agent
      .post(`/visits/${id}/edit`)
      .type('form')
      .send({ 'a.g1': 'no', action: 'save', _csrf: 'wrong-token-wrong-token-wrong-to' });
    expect(save.status).toBe(403);
    const draft = await agent.post(`/visits/${id}/draft`).set('X-CSRF-Token', 'nope').send({ 'a.g1': 'no' });
    expect(draft.status).toBe(403);
    const upload = await agent.post(`/visits/${id}/attachments?_csrf=nope`).attach('file', pngImage(5, 5, 5), 'a.png');
    expect(upload.status).toBe(403);
    const v = await stored(id);
    expect(v.answers).toHaveLength(0);
    expect(v.attachments).toHaveLength(0);
    expect(v.history).toHaveLength(1);
  });
});
