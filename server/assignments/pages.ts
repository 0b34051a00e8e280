import type { Router } from 'express';
import { z } from 'zod';
import { allBranches, getBank, listBanks, type BankView } from '../banks/service';
import { toAppError } from '../platform/http/error-handler';
import { AppError } from '../platform/errors';
import { requireFile, tabularUpload } from '../platform/http/uploads';
import { fields, parseBody, parseQuery } from '../platform/http/validation';
import { listQuestionnaires } from '../questionnaires/service';
import { DEFAULT_TIMEZONE, quarterOf } from '../rules/quarters';
import { listUsers } from '../users/service';
import { ASSIGNMENT_STATES, listRecentAssignments, type AssignmentState } from '../visits/service';
import { localInputToIso, showSpan } from '../web/local-time';
import {
  attempt,
  emptyForm,
  formBody,
  formFailure,
  localizeMessage,
  runUpload,
  type FormBody,
  type FormState,
} from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { createAssignmentBody, importAssignmentsQuery } from './schema';
import { createAssignment, importAssignments } from './service';

/**
 * The admin's assignment page: the newest assignments (filtered by bank and visit status), and, once
 * a bank is chosen, a form to create one and a CSV/XLSX import. Times are typed in the bank's own
 * time zone, as on the visit pages. Everything goes through the assignment service (no cancel: the
 * service and API.md have none), except the list, which shows each assignment with its visit's state
 * and so comes from the visits' door (visits build on assignments).
 */
const ADMIN = ['admin'] as const;
/** The list comes a page at a time (newest window first); filters narrow it down. */
export const LIST_LIMIT = 50;

const FIELDS = {
  bankId: 'bankId',
  branchCode: 'branchCode',
  auditorId: 'auditorId',
  questionnaireId: 'questionnaireId',
  quarter: 'quarter',
  windowStart: 'windowStart',
  windowEnd: 'windowEnd',
  scenario: 'scenario',
};

export function registerAssignmentPages(r: Router): void {
  r.get('/admin/assignments', assignmentsPage);
  r.post('/admin/assignments', createPage);
  r.post('/admin/assignments/import', importPage);
}

// ---- messages of the assignment schema and service, in the page's language

const OWN_MESSAGES: [RegExp, string][] = [
  [/^must be an ISO-8601 time|^must be a real time/, 'assignments.admin.bad_time'],
  [/^must be after windowStart$/, 'assignments.admin.end_before_start'],
  [/^must look like 2026-Q3$/, 'assignments.admin.bad_quarter'],
  [/^no active user with role auditor$/, 'assignments.admin.no_auditor'],
  [/^no active auditor "(?<email>.*)"$/, 'assignments.admin.no_auditor_email'],
  [/^no questionnaire of this bank$/, 'assignments.admin.no_questionnaire'],
];

function ownMessage(ctx: PageContext, message: string): string {
  for (const [re, key] of OWN_MESSAGES) {
    const m = re.exec(message);
    if (m) return ctx.t(key, m.groups ?? {});
  }
  return localizeMessage(ctx.locale, message);
}

/** The same error with each detail in the page's language, so formFailure shows it next to its field. */
async function localized<T>(ctx: PageContext, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (e) {
    const err = toAppError(e);
    if (err.status >= 500 || err.details.length === 0) throw e;
    throw new AppError(
      err.status,
      err.code,
      err.message,
      err.details.map((d) => ({ ...d, message: ownMessage(ctx, d.message) })),
    );
  }
}

/** An import row's message is "field: problem; field: problem" (see platform/db/bulk-import). */
const rowMessage = (ctx: PageContext, message: string): string =>
  message
    .split('; ')
    .map((part) => {
      const m = /^([\w.]+): (.*)$/.exec(part);
      return m ? `${m[1]}: ${ownMessage(ctx, m[2])}` : ownMessage(ctx, part);
    })
    .join('; ');

// ---- the page

interface ImportState extends FormState {
  rows: { row: number; message: string }[];
  rejected: boolean;
}

interface Forms {
  create?: FormState;
  upload?: ImportState;
}

/** The page's filters (empty boxes are dropped before parsing); the states are the visits'. */
const adminAssignmentsQuery = z
  .object({
    bankId: fields.objectId.optional(),
    state: z.enum(ASSIGNMENT_STATES).optional(),
    cursor: z.string().max(200).optional(),
  })
  .strict();

type Filter = { bankId?: string; state?: AssignmentState; cursor?: string };

function filterOf(ctx: PageContext): Filter {
  const given = Object.fromEntries(
    Object.entries(ctx.req.query).filter(([k, v]) => ['bankId', 'state', 'cursor'].includes(k) && v !== ''),
  );
  return parseQuery(adminAssignmentsQuery, given);
}

/** The list's link with the same filters, on another page. */
function listHref(filter: Filter, cursor?: string): string {
  const q = new URLSearchParams();
  if (filter.bankId) q.set('bankId', filter.bankId);
  if (filter.state) q.set('state', filter.state);
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return `/admin/assignments${s ? `?${s}` : ''}#assignments`;
}

const label = (id: string, names: Map<string, string>) => names.get(id) ?? id;

async function showPage(ctx: PageContext, filter: Filter, forms: Forms = {}, status = 200): Promise<void> {
  const bank = filter.bankId ? await getBank(ctx.user, filter.bankId) : undefined;
  const [banks, auditors, questionnaires, list, branches] = await Promise.all([
    listBanks(ctx.user),
    listUsers({ role: 'auditor' }),
    listQuestionnaires(ctx.user),
    listRecentAssignments(ctx.user, filter, LIST_LIMIT),
    bank ? allBranches(ctx.user, bank.id) : Promise.resolve([]),
  ]);
  const bankOf = new Map(banks.map((b) => [b.id, b]));
  const auditorNames = new Map(auditors.map((u) => [u.id, `${u.name} (${u.auditorCode ?? u.email})`]));
  const questionnaireNames = new Map(questionnaires.map((q) => [q.id, q.name]));
  const rows = list.rows.map((a) => {
    const b = bankOf.get(a.bankId);
    const tz = b?.timezone ?? DEFAULT_TIMEZONE;
    return {
      ...a,
      bankCode: b?.code ?? a.bankId,
      auditor: label(a.auditorId, auditorNames),
      questionnaire: label(a.questionnaireId, questionnaireNames),
      window: showSpan(a.windowStart, a.windowEnd, tz),
      timezone: tz,
      statusLabel: a.visitStatus ? ctx.t(`visits.status.${a.visitStatus}`) : ctx.t('visits.assign.not_started'),
    };
  });
  render(
    ctx.req,
    ctx.res,
    'pages/admin/assignments',
    {
      title: ctx.t('assignments.admin.title'),
      filter,
      banks,
      states: ASSIGNMENT_STATES.map((s) => ({
        value: s,
        label: s === 'not_started' ? ctx.t('visits.assign.not_started') : ctx.t(`visits.status.${s}`),
      })),
      rows,
      more: list.more,
      limit: LIST_LIMIT,
      nextHref: list.next ? listHref(filter, list.next) : null,
      firstHref: filter.cursor ? listHref(filter) : null,
      bank,
      branches,
      auditors: auditors.filter((u) => u.active),
      questionnaires: bank ? questionnaires.filter((q) => q.bankId === bank.id) : [],
      create: forms.create ?? (bank ? emptyForm({ quarter: quarterOf(new Date(), bank.timezone) }) : undefined),
      upload: forms.upload,
    },
    status,
  );
}

const assignmentsPage = page(ADMIN, (ctx) => showPage(ctx, filterOf(ctx)));

/** A datetime-local value read in the bank's zone; anything else goes on as typed, so the schema reports it. */
const toIso = (v: string | undefined, bank: BankView): string => {
  const s = (v ?? '').trim();
  return (s && localInputToIso(s, bank.timezone)) || s;
};

const createInput = (f: FormBody, bank: BankView) => ({
  bankId: bank.id,
  branchCode: f.branchCode ?? '',
  auditorId: f.auditorId ?? '',
  questionnaireId: f.questionnaireId ?? '',
  quarter: (f.quarter ?? '').trim(),
  windowStart: toIso(f.windowStart, bank),
  windowEnd: toIso(f.windowEnd, bank),
  scenario: f.scenario ?? '',
});

/** The bank is the page's (a hidden field); an unknown one is a 404, like any other page of a bank. */
const createPage = page(ADMIN, async (ctx) => {
  const f = formBody(ctx.req);
  const bank = await getBank(ctx.user, f.bankId ?? '');
  const input = createInput(f, bank);
  await attempt(
    ctx.locale,
    { fields: FIELDS, input, values: f },
    async () => {
      const a = await localized(ctx, () => createAssignment(ctx.user, parseBody(createAssignmentBody, input)));
      const window = showSpan(a.windowStart, a.windowEnd, bank.timezone);
      flash(ctx.req, 'ok', ctx.t('assignments.admin.created', { branch: `${a.branchCode} ${a.branchName}`, window }));
      ctx.res.redirect(303, `/admin/assignments?bankId=${bank.id}`);
    },
    (create, status) => showPage(ctx, { bankId: bank.id }, { create }, status),
  );
});

/**
 * The bank comes in the query string (read before any file, so an unknown bank is a 404), the
 * questionnaire from the form or, like the API's import, the query string. All rows or none.
 */
const importPage = page(ADMIN, async (ctx) => {
  const queryOf = (k: string) => (typeof ctx.req.query[k] === 'string' ? (ctx.req.query[k] as string) : '');
  const bank = await getBank(ctx.user, queryOf('bankId'));
  let values: FormBody = {};
  try {
    await runUpload(tabularUpload(), ctx.req, ctx.res);
    values = formBody(ctx.req);
    const target = { bankId: bank.id, questionnaireId: values.questionnaireId || queryOf('questionnaireId') };
    const result = await localized(ctx, () =>
      importAssignments(ctx.user, parseBody(importAssignmentsQuery, target), requireFile(ctx.req).buffer),
    );
    if (result.rejected) {
      const rows = result.errors.map((r) => ({ row: r.row, message: rowMessage(ctx, r.message) }));
      return await showPage(ctx, { bankId: bank.id }, { upload: { ...emptyForm(values), rows, rejected: true } }, 422);
    }
    flash(ctx.req, 'ok', ctx.t('assignments.admin.imported', { created: result.created }));
    ctx.res.redirect(303, `/admin/assignments?bankId=${bank.id}`);
  } catch (e) {
    const failed = formFailure(e, ctx.locale, { questionnaireId: 'questionnaireId' });
    if (!failed) throw e;
    await showPage(
      ctx,
      { bankId: bank.id },
      { upload: { values, errors: failed.errors, general: failed.general, rows: [], rejected: false } },
      failed.status,
    );
  }
});
