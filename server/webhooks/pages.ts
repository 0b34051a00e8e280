import type { Router } from 'express';
import { DateTime } from 'luxon';
import { listBanks } from '../banks/service';
import { parseBody } from '../platform/http/validation';
import { attempt, emptyForm, formBody, param, type FormState } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { createEndpointBody } from './schema';
import * as webhooks from './service';

/** Admin pages: the endpoints with the form to add one (the secret shown once), and one endpoint's deliveries. */
export function registerWebhookPages(r: Router): void {
  r.get('/admin/webhooks', listPage);
  r.post('/admin/webhooks', createAction);
  r.get('/admin/webhooks/:webhookId', showPage);
  r.post('/admin/webhooks/:webhookId/ping', pingAction);
  r.post('/admin/webhooks/:webhookId/enabled', enableAction);
  r.post('/admin/webhooks/:webhookId/deliveries/:deliveryId/redeliver', redeliverAction);
}

const ADMIN = webhooks.WEBHOOK_ADMINS;
const UTC = (iso: string | null | undefined) =>
  iso ? `${DateTime.fromISO(iso).toUTC().toFormat('yyyy-MM-dd HH:mm:ss')} UTC` : '';

async function showList(ctx: PageContext, form: FormState, secret: string | null, status = 200) {
  const [list, banks] = await Promise.all([webhooks.listEndpoints(ctx.user), listBanks(ctx.user)]);
  const bankName = new Map(banks.map((b) => [b.id, `${b.name} (${b.code})`]));
  const chosen = new Set(String(form.values.events ?? '').split(','));
  render(
    ctx.req,
    ctx.res,
    'pages/webhooks/list',
    {
      title: ctx.t('webhooks.title'),
      secret,
      form,
      banks: banks.map((b) => ({ ...b, selected: form.values.bankId === b.id })),
      events: webhooks.EVENT_TYPES.map((e) => ({ value: e, checked: chosen.has(e) })),
      rows: list.map((e) => ({
        ...e,
        owner: e.bankId ? (bankName.get(e.bankId) ?? e.bankId) : ctx.t('webhooks.firm'),
        statusLabel: ctx.t(`webhooks.status.${e.status}`),
        failing: e.failingSince ? ctx.t('webhooks.failing_since', { since: UTC(e.failingSince) }) : '',
      })),
    },
    status,
  );
}

const listPage = page(ADMIN, (ctx) => showList(ctx, emptyForm(), null));

const createAction = page(ADMIN, async (ctx) => {
  const f = formBody(ctx.req);
  const events = ([] as string[]).concat((ctx.req.body as { events?: string | string[] }).events ?? []);
  const input = {
    url: f.url ?? '',
    ...(f.bankId ? { bankId: f.bankId } : {}),
    events,
    ...(f.description ? { description: f.description } : {}),
  };
  await attempt(
    ctx.locale,
    {
      fields: { url: 'url', bankId: 'bankId', events: 'events', description: 'description' },
      input,
      values: { ...f, events: events.join(',') },
    },
    async () => {
      const created = await webhooks.createEndpoint(ctx.user, parseBody(createEndpointBody, input));
      await showList(ctx, emptyForm(), created.secret, 201);
    },
    (state, status) => showList(ctx, state, null, status),
  );
});

const showPage = page(ADMIN, async (ctx) => {
  const id = param(ctx.req, 'webhookId');
  const e = await webhooks.getEndpoint(ctx.user, id);
  const deliveries = await webhooks.listEndpointDeliveries(ctx.user, id, { limit: 200 });
  render(ctx.req, ctx.res, 'pages/webhooks/show', {
    title: ctx.t('webhooks.title'),
    e: { ...e, statusLabel: ctx.t(`webhooks.status.${e.status}`), enabled: e.status === 'enabled' },
    failing: e.failingSince ? ctx.t('webhooks.failing_since', { since: UTC(e.failingSince) }) : '',
    rows: deliveries.map((d) => ({
      ...d,
      created: UTC(d.createdAt),
      next: d.status === 'pending' ? UTC(d.nextAttemptAt) : '',
      statusLabel: ctx.t(`webhooks.delivery.${d.status}`),
      last: d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? ''),
    })),
  });
});

const back = (ctx: PageContext) => ctx.res.redirect(303, `/admin/webhooks/${param(ctx.req, 'webhookId')}`);

const pingAction = page(ADMIN, async (ctx) => {
  const r = await webhooks.pingEndpoint(ctx.user, param(ctx.req, 'webhookId'));
  const result = r.ok ? `HTTP ${r.statusCode} (${r.ms} ms)` : (r.error ?? `HTTP ${r.statusCode}`);
  flash(ctx.req, r.ok ? 'ok' : 'error', ctx.t('webhooks.ping_result', { result }));
  back(ctx);
});

const enableAction = page(ADMIN, async (ctx) => {
  const enabled = formBody(ctx.req).enabled === 'true';
  await webhooks.updateEndpoint(ctx.user, param(ctx.req, 'webhookId'), { enabled });
  back(ctx);
});

const redeliverAction = page(ADMIN, async (ctx) => {
  await webhooks.redeliver(ctx.user, param(ctx.req, 'webhookId'), param(ctx.req, 'deliveryId'));
  flash(ctx.req, 'ok', ctx.t('webhooks.redeliver'));
  back(ctx);
});
