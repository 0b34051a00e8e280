import { showTime } from '../web/local-time';
import type { Router } from 'express';
import { bankTimezone, listBanks } from '../banks/service';
import { config } from '../platform/config';
import { AppError } from '../platform/errors';
import { DEFAULT_TIMEZONE, quarterOf, shiftQuarter } from '../rules/quarters';
import { formBody, param } from '../web/forms';
import { flash, page, render } from '../web/render';
import { closeCheckPage } from './close-wizard';
import { pendingCorrections } from './corrections';
import { reportsExpected } from './schedule';
import { sendReportFile } from './routes';
import * as reports from './service';

/** Admin: close a quarter, follow the closes, versions and deliveries, re-send. Bank managers: their reports. */
const ADMIN = ['admin'] as const;
const READERS = ['admin', 'bank_manager'] as const;

/** While a close runs the page reloads itself (a plain Refresh header: no script needed). */
const REFRESH_SECONDS = 3;

function closeError(t: (k: string, v?: Record<string, unknown>) => string, e: unknown): string {
  if (e instanceof AppError && e.status === 404) return t('reports.msg.no_bank');
  if (e instanceof AppError && e.status === 422) return t('reports.msg.bad_quarter');
  throw e;
}

const adminPage = page(ADMIN, async ({ req, res, user, t }) => {
  const bankId =
    typeof req.query.bankId === 'string' && /^[a-f0-9]{24}$/i.test(req.query.bankId) ? req.query.bankId : undefined;
  const [banks, jobs, list, corrections] = await Promise.all([
    listBanks(user),
    reports.recentCloses(user),
    reports.reportSummaries(user, { bankId }),
    pendingCorrections(user),
  ]);
  const bankName = new Map(banks.map((b) => [b.id, `${b.name} (${b.code})`]));
  const versions = new Map(list.map((r) => [r.id, r.version]));
  const active = jobs.some((j) => j.active);
  if (active) res.set('Refresh', String(REFRESH_SECONDS));
  render(req, res, 'pages/reports/admin', {
    title: t('reports.page.admin_title'),
    banks: banks.map((b) => ({ ...b, selected: b.id === bankId })),
    quarter: shiftQuarter(quarterOf(new Date()), -1),
    active,
    jobs: jobs.map((j) => ({
      ...j,
      bankName: bankName.get(j.bankId) ?? j.bankId,
      statusLabel: t(`reports.status.${j.status}`),
      phaseLabel: t(`reports.phase.${j.phase}`),
    })),
    corrections: [...corrections.values()].map((c) => ({
      ...c,
      bankName: bankName.get(c.bankId) ?? c.bankId,
      branches: c.branchCodes.join(', '),
    })),
    reports: list.map((r) => ({
      ...r,
      bankName: bankName.get(r.bankId) ?? r.bankId,
      statusLabel: t(`reports.status.${r.status}`),
      supersededVersion: r.supersededBy ? (versions.get(r.supersededBy) ?? '?') : null,
    })),
  });
});

/** Queues the close only once the admin confirmed it on the wizard's check page; the page keeps the bank. */
const closeAction = page(ADMIN, async ({ req, res, user, t }) => {
  const f = formBody(req);
  const bankId = /^[a-f0-9]{24}$/i.test(f.bankId ?? '') ? (f.bankId as string) : '';
  const quarter = (f.quarter ?? '').trim();
  const back = bankId ? `/admin/reports?bankId=${bankId}` : '/admin/reports';
  if (f.confirm !== 'yes') {
    if (!bankId || !/^\d{4}-Q[1-4]$/.test(quarter)) {
      flash(req, 'error', t(bankId ? 'reports.msg.bad_quarter' : 'reports.msg.no_bank'));
      return res.redirect(303, back);
    }
    return res.redirect(303, `/admin/reports/close/check?bankId=${bankId}&quarter=${quarter}`);
  }
  try {
    const r = await reports.closeQuarter(user, bankId, quarter);
    flash(req, 'ok', t('reports.flash.queued', { quarter, reportId: r.reportId }));
  } catch (e) {
    flash(req, 'error', closeError(t, e));
  }
  res.redirect(303, back);
});

const reportPage = page(ADMIN, async ({ req, res, user, t }) => {
  const report = await reports.getReport(user, param(req, 'id'));
  const deliveries = await reports.reportDeliveries(user, report.id);
  const banks = await listBanks(user);
  const bank = banks.find((b) => b.id === report.bankId);
  if (report.status === 'pending') res.set('Refresh', String(REFRESH_SECONDS));
  render(req, res, 'pages/reports/report', {
    title: `${bank?.name ?? ''} ${report.quarter} v${report.version}`,
    report: { ...report, statusLabel: t(`reports.status.${report.status}`) },
    bank,
    files: report.files.map((f) => ({
      ...f,
      href: `/reports/${report.id}/files/${encodeURIComponent(f.scope)}`,
      label: scopeLabel(t, f),
    })),
    deliveries: deliveries.map((d) => ({ ...d, statusLabel: t(`reports.status.${d.status}`) })),
  });
});

const resendAction = page(ADMIN, async ({ req, res, user, t }) => {
  const id = param(req, 'id');
  const recipient = formBody(req).recipient || undefined;
  const list = await reports.resendReport(user, id, { recipient });
  flash(req, 'ok', t('reports.flash.resent', { count: recipient ? 1 : list.length }));
  res.redirect(303, `/admin/reports/${id}`);
});

function scopeLabel(
  t: (k: string, v?: Record<string, unknown>) => string,
  f: { kind: string; name: string; scope: string },
): string {
  if (f.kind === 'bank') return t('reports.scope.bank');
  if (f.kind === 'region') return t('reports.scope.region', { name: f.name });
  return t('reports.scope.branch', { name: `${f.scope.slice('branch:'.length)} ${f.name}` });
}

const myReportsPage = page(READERS, async ({ req, res, user, t }) => {
  const list = await reports.listReports(user, {});
  const versions = new Map(list.map((r) => [r.id, r.version]));
  const zone = (user.bankId ? await bankTimezone(user.bankId) : null) ?? DEFAULT_TIMEZONE;
  const next = reportsExpected(new Date(), zone, config().AUTO_CLOSE_DAYS);
  render(req, res, 'pages/reports/mine', {
    title: t('reports.page.title'),
    clockZone: zone,
    // The empty state says when reports come: after the quarter ends, closed by the firm (or by the schedule).
    expected: {
      ends: t('reports.expected.ends', { quarter: next.quarter, date: showTime(next.endsAt, zone) }),
      closes: next.closesBy
        ? t('reports.expected.auto', { date: showTime(next.closesBy, zone) })
        : t('reports.expected.by_firm'),
    },
    reports: list.map((r) => ({
      ...r,
      statusLabel: t(`reports.status.${r.status}`),
      supersededVersion: r.supersededBy ? (versions.get(r.supersededBy) ?? '?') : null,
      files: r.files.map((f) => ({
        ...f,
        href: `/reports/${r.id}/files/${encodeURIComponent(f.scope)}`,
        label: scopeLabel(t, f),
      })),
    })),
  });
});

const download = page(READERS, async ({ req, res, user }) => {
  await sendReportFile(user, param(req, 'id'), param(req, 'scope'), req, res);
});

export function registerReportPages(r: Router): void {
  r.get('/admin/reports', adminPage);
  r.post('/admin/reports/close', closeAction);
  r.get('/admin/reports/close/check', closeCheckPage);
  r.get('/admin/reports/:id', reportPage);
  r.post('/admin/reports/:id/resend', resendAction);
  r.get('/reports', myReportsPage);
  r.get('/reports/:id/files/:scope', download);
}
