import { showTime } from '../web/local-time';
import { z } from 'zod';
import { bankTimezone } from '../banks/service';
import { parseBody, parseQuery, fields } from '../platform/http/validation';
import { DEFAULT_TIMEZONE } from '../rules/quarters';
import { formatScore } from '../rules/scoring';
import { getVisit, type VisitView } from '../visits/service';
import { attempt, emptyForm, formBody, type FormState } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { DISPUTABLE, OPENER, openDispute, windowOfVisit } from './service';
import { openDisputeBody } from './schema';
import { answerWords, itemLabel } from './words';
import { versionOf } from './versions';

/**
 * Opening a dispute (bank manager): reached from the answer on the visit page, the item already
 * chosen, with the days the window has left — and refused up front, in the page's language, when
 * the visit cannot be disputed any more (the service stays the authority at the moment of writing).
 */
const newQuery = z.object({ visitId: fields.objectId, itemKey: z.string().max(100).optional() });

/** Why this visit can take no dispute now, in the page's words; null when it can. */
function refusal(ctx: PageContext, visit: VisitView, zone: string): string | null {
  if (!(DISPUTABLE as readonly string[]).includes(visit.status) || !visit.approvedAt)
    return ctx.t('disputes.new.refused_state');
  const w = windowOfVisit(visit.approvedAt);
  return w.open ? null : ctx.t('disputes.new.refused_window', { date: showTime(w.closesAt, zone) });
}

async function showNew(ctx: PageContext, visitId: string, form: FormState, status = 200): Promise<void> {
  const visit = await getVisit(ctx.user, visitId);
  const zone = (await bankTimezone(visit.bankId)) ?? DEFAULT_TIMEZONE;
  const version = await versionOf(visit.questionnaireId, visit.questionnaireVersion);
  const answers = new Map(visit.answers.map((a) => [a.itemKey, a]));
  const refused = refusal(ctx, visit, zone);
  const w = visit.approvedAt ? windowOfVisit(visit.approvedAt) : null;
  render(
    ctx.req,
    ctx.res,
    'pages/disputes/new',
    {
      title: ctx.t('disputes.new.title'),
      clockZone: zone,
      visit: { ...visit, total: formatScore(visit.scores.total) },
      refused,
      window: w && !refused ? { closesAt: showTime(w.closesAt, zone), daysLeft: w.daysLeft } : null,
      items: version.sections.flatMap((s) =>
        s.items
          .filter((i) => answers.has(i.key))
          .map((i) => ({
            key: i.key,
            label: itemLabel(ctx.locale, version.texts.get(i.key)),
            section: ctx.t(`results.section.${s.key}`),
            answer: answerWords(ctx.locale, version.items.get(i.key), answers.get(i.key)?.value),
            comment: answers.get(i.key)?.comment,
            selected: form.values.itemKey === i.key,
          })),
      ),
      form,
    },
    status,
  );
}

export const newDisputePage = page(OPENER, async (ctx) => {
  const { visitId, itemKey } = parseQuery(newQuery, ctx.req.query);
  await showNew(ctx, visitId, emptyForm(itemKey ? { itemKey } : {}));
});

export const createDisputeAction = page(OPENER, async (ctx) => {
  const { visitId } = parseQuery(newQuery, ctx.req.query);
  const f = formBody(ctx.req);
  const input = { itemKey: f.itemKey ?? '', reason: f.reason ?? '' };
  await attempt(
    ctx.locale,
    { fields: { itemKey: 'itemKey', reason: 'reason' }, input, values: f, messages: 'feedback.err' },
    async () => {
      const d = await openDispute(ctx.user, visitId, parseBody(openDisputeBody, input));
      flash(ctx.req, 'ok', ctx.t('disputes.flash.opened', { item: itemLabel(ctx.locale, d.itemText) }));
      ctx.res.redirect(303, `/disputes/${d.id}`);
    },
    // The window may close between showing the form and posting it: the page then refuses in its own words.
    (state, status) => showNew(ctx, visitId, state, status),
  );
});
