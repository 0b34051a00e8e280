import type { Router } from 'express';
import { DateTime } from 'luxon';
import { bankTimezone, branchNames } from '../banks/service';
import { parseQuery } from '../platform/http/validation';
import { getVersion } from '../questionnaires/service';
import { page, render, type PageContext } from '../web/render';
import { Alert } from './model';
import { listAlertsQuery } from './schema';
import * as alerts from './service';

/** The alerts page: bank managers see their scope's compliance alerts, admins every bank's. */
export function registerAlertPages(r: Router): void {
  r.get('/alerts', listPage);
}

const inZone = (iso: string, zone: string) => DateTime.fromISO(iso).setZone(zone).toFormat('yyyy-MM-dd HH:mm');

async function itemTexts(ctx: PageContext, ids: string[]): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  const rows = await Alert.find({ _id: { $in: ids } }, { questionnaireId: 1, questionnaireVersion: 1 }).lean();
  const versions = new Map<string, Map<string, string>>();
  for (const r of rows) {
    const key = `${String(r.questionnaireId)}@${r.questionnaireVersion}`;
    if (!versions.has(key)) {
      const v = await getVersion(String(r.questionnaireId), r.questionnaireVersion).catch(() => null);
      const texts = new Map<string, string>();
      for (const s of v?.sections ?? []) for (const i of s.items) texts.set(i.key, i.text[ctx.locale] || i.key);
      versions.set(key, texts);
    }
    out.set(String(r._id), versions.get(key) as Map<string, string>);
  }
  return out;
}

const listPage = page(alerts.ALERT_READERS, async (ctx) => {
  const q = parseQuery(listAlertsQuery, ctx.req.query);
  const list = await alerts.listAlerts(ctx.user, q);
  const texts = await itemTexts(
    ctx,
    list.map((a) => a.id),
  );
  const names = await branchNames(list.map((a) => ({ bankId: a.bankId, code: a.branchCode })));
  const zones = new Map<string, string>();
  for (const a of list)
    if (!zones.has(a.bankId)) zones.set(a.bankId, (await bankTimezone(a.bankId)) ?? 'Asia/Shanghai');
  render(ctx.req, ctx.res, 'pages/alerts/list', {
    title: ctx.t('alerts.title'),
    q,
    zones: [...new Set(zones.values())].join(', '),
    rows: list.map((a) => {
      const zone = zones.get(a.bankId) as string;
      return {
        ...a,
        raised: inZone(a.createdAt, zone),
        visited: inZone(a.visitedAt, zone),
        branchName: names.get(`${a.bankId}|${a.branchCode}`) ?? a.branchCode,
        items: a.itemKeys.map((k) => texts.get(a.id)?.get(k) ?? k),
        statusLabel: ctx.t(`alerts.status.${a.status}`),
      };
    }),
  });
});
