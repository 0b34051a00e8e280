import type { Router } from 'express';
import { DateTime } from 'luxon';
import { parseQuery } from '../platform/http/validation';
import { page, render, type PageContext } from '../web/render';
import { AUDIT_ACTIONS, AUDIT_FAMILIES } from './actions';
import { auditQuery } from './schema';
import * as audit from './service';
import { readerZone } from './zone';

/**
 * The audit log's page: filters (period in the reader's zone, actor, kind of event), newest first a
 * page at a time, the CSV of the same selection, and — for admins — whether every entry reached the
 * database (failed writes waiting for a retry are shown here, not only logged).
 */
const READERS = ['admin', 'bank_manager'] as const;
const PAGE_SIZE = 100;

function filterOf(ctx: PageContext) {
  const raw = Object.fromEntries(Object.entries(ctx.req.query).filter(([, v]) => typeof v === 'string' && v !== ''));
  return parseQuery(auditQuery, raw);
}

/** A fixed note of the platform in the reader's language; a person's own words (a review note) as written. */
function noteText(ctx: PageContext, note: string | undefined): string {
  if (!note) return '';
  const key = `audit.note.${note}`;
  const text = ctx.t(key);
  return text === key ? note : text;
}

function targetText(ctx: PageContext, t: { type: string; id?: string; label?: string }): string {
  const key = `audit.target.${t.type}`;
  const type = ctx.t(key);
  return [type === key ? t.type : type, t.label ?? t.id].filter(Boolean).join(ctx.locale === 'zh' ? '：' : ': ');
}

function short(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

const auditPage = page(READERS, async (ctx) => {
  const q = filterOf(ctx);
  const zone = await readerZone(ctx.user);
  const result = await audit.listEntries(ctx.user, { ...q, limit: PAGE_SIZE }, zone);
  const query = new URLSearchParams(
    Object.entries(q).filter(([k, v]) => k !== 'cursor' && typeof v === 'string') as [string, string][],
  );
  const nextHref = result.next
    ? `/audit-log?${new URLSearchParams({ ...Object.fromEntries(query), cursor: result.next })}`
    : null;
  render(ctx.req, ctx.res, 'pages/audit-log', {
    title: ctx.t('audit.title'),
    zone,
    filter: q,
    families: AUDIT_FAMILIES.map((f) => ({ value: f, label: ctx.t(`audit.family.${f}`) })),
    actions: AUDIT_ACTIONS.map((a) => ({ value: a, label: ctx.t(`audit.action.${a}`) })),
    rows: result.rows.map((r) => ({
      ...r,
      at: DateTime.fromISO(r.at).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss'),
      actionLabel: ctx.t(`audit.action.${r.action}`),
      failed: r.outcome === 'failure',
      actor: r.actorEmail ?? r.actorId ?? ctx.t('audit.system'),
      roleLabel: r.actorRole ? ctx.t(`role.${r.actorRole}`) : '',
      targetText: targetText(ctx, r.target),
      note: noteText(ctx, r.note),
      before: short(r.before),
      after: short(r.after),
    })),
    nextHref,
    csvHref: `/audit-log.csv${query.toString() ? `?${query}` : ''}`,
    health: ctx.user.role === 'admin' ? audit.auditHealth() : null,
  });
});

const csvDownload = page(READERS, async (ctx) => {
  const q = filterOf(ctx);
  const zone = await readerZone(ctx.user);
  const rows = await audit.entriesForExport(ctx.user, q, zone);
  await audit.noteExport(ctx.user, q, rows.length);
  ctx.res
    .status(200)
    .attachment(`audit-log-${new Date().toISOString().slice(0, 10)}.csv`)
    .set({ 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'private, no-store' })
    .send(audit.auditCsv(rows, zone));
});

export function registerAuditPages(r: Router): void {
  r.get('/audit-log', auditPage);
  r.get('/audit-log.csv', csvDownload);
}
