import type { Router } from 'express';
import type { RowError } from '../platform/db/bulk-import';
import { requireFile, tabularUpload } from '../platform/http/uploads';
import { parseBody } from '../platform/http/validation';
import {
  attempt,
  blankToUndefined,
  emptyForm,
  formBody,
  formFailure,
  localizeRowMessage,
  param,
  runUpload,
  splitList,
  type FormBody,
  type FormState,
} from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { createBankBody, createBranchBody, createStaffBody, updateBankBody } from './schema';
import * as banks from './service';

/** Admin pages: the bank list, and one bank's branches and staff with their forms and imports. */
const ADMIN = ['admin'] as const;

const BANK_FIELDS = {
  code: 'code',
  name: 'name',
  timezone: 'timezone',
  language: 'language',
  reportRecipients: 'reportRecipients',
  alertRecipients: 'alertRecipients',
  geofenceMeters: 'geofenceMeters',
};
const BRANCH_FIELDS = { code: 'code', name: 'name', region: 'region', city: 'city', lat: 'lat', lng: 'lng' };
const STAFF_FIELDS = { employeeId: 'employeeId', name: 'name', branchCode: 'branchCode', position: 'position' };
/** Offered as suggestions; any IANA zone is accepted. */
const TIMEZONES = [
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Macau',
  'Asia/Taipei',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Europe/London',
  'UTC',
];

// Required text goes to the schema as typed (so an empty box reads "required"); optional boxes left empty are omitted.
const bankSettingsInput = (f: FormBody) => ({
  name: f.name ?? '',
  timezone: blankToUndefined(f.timezone),
  language: blankToUndefined(f.language),
  reportRecipients: splitList(f.reportRecipients),
  alertRecipients: splitList(f.alertRecipients),
  geofenceMeters: numberOrBlank(f.geofenceMeters),
});
/** A number box: empty is "not given"; anything else goes to the schema as a number (NaN is refused there, by name). */
function numberOrBlank(v: string | undefined): number | undefined {
  const text = blankToUndefined(v);
  return text === undefined ? undefined : Number(text.trim());
}
const branchInput = (f: FormBody) => ({
  code: f.code ?? '',
  name: f.name ?? '',
  region: f.region ?? '',
  city: blankToUndefined(f.city),
  // The schema reads a coordinate's text itself (as from an import cell): blank is none.
  lat: f.lat ?? '',
  lng: f.lng ?? '',
});
const staffInput = (f: FormBody) => ({
  employeeId: f.employeeId ?? '',
  name: f.name ?? '',
  branchCode: f.branchCode ?? '',
  position: blankToUndefined(f.position),
});

// ---- bank list ----

async function showBanks(ctx: PageContext, create: FormState, status = 200): Promise<void> {
  const list = await banks.listBanks(ctx.user);
  render(
    ctx.req,
    ctx.res,
    'pages/admin/banks',
    { title: ctx.t('admin.banks.title'), banks: list, create, timezones: TIMEZONES },
    status,
  );
}

export const banksPage = page(ADMIN, (ctx) => showBanks(ctx, emptyForm({ timezone: 'Asia/Shanghai', language: 'zh' })));

export const createBank = page(ADMIN, async (ctx) => {
  const f = formBody(ctx.req);
  const input = { code: f.code ?? '', ...bankSettingsInput(f) };
  await attempt(
    ctx.locale,
    { fields: BANK_FIELDS, input, values: f },
    async () => {
      const bank = await banks.createBank(parseBody(createBankBody, input));
      flash(ctx.req, 'ok', ctx.t('admin.flash.bank_created', { code: bank.code }));
      ctx.res.redirect(303, `/admin/banks/${bank.id}`);
    },
    (create, status) => showBanks(ctx, create, status),
  );
});

// ---- one bank ----

interface ImportState {
  general: string[];
  rows: RowError[];
  rejected: boolean;
}

interface BankForms {
  settings?: FormState;
  branch?: FormState;
  staff?: FormState;
  branchImport?: ImportState;
  staffImport?: ImportState;
}

async function showBank(ctx: PageContext, forms: BankForms = {}, status = 200): Promise<void> {
  const bankId = param(ctx.req, 'bankId');
  const bank = await banks.getBank(ctx.user, bankId);
  const region = typeof ctx.req.query.region === 'string' ? ctx.req.query.region : '';
  const staffCursor = typeof ctx.req.query.staffCursor === 'string' ? ctx.req.query.staffCursor : undefined;
  // Every branch is loaded (the region list needs them all); staff only of the chosen region, a page at a time.
  const [branches, staff] = await Promise.all([
    banks.allBranches(ctx.user, bankId),
    banks.listStaff(ctx.user, bankId, { region: region || undefined, cursor: staffCursor }),
  ]);
  const regions = [...new Set(branches.map((b) => b.region))].sort();
  const shown = (region ? branches.filter((b) => b.region === region) : branches).map((b) => ({
    ...b,
    position: typeof b.lat === 'number' && typeof b.lng === 'number' ? `${b.lat}, ${b.lng}` : null,
  }));
  const groups = regions
    .map((name) => ({ region: name, branches: shown.filter((b) => b.region === name) }))
    .filter((g) => g.branches.length > 0);
  render(
    ctx.req,
    ctx.res,
    'pages/admin/bank',
    {
      title: `${bank.name} (${bank.code})`,
      bank,
      region,
      regions,
      groups,
      branchCodes: branches.map((b) => b.code),
      staff: staff.rows,
      staffNext: staff.next
        ? `/admin/banks/${bank.id}?${new URLSearchParams({ ...(region ? { region } : {}), staffCursor: staff.next }).toString()}#staff`
        : null,
      staffFirst: staffCursor
        ? `/admin/banks/${bank.id}${region ? `?${new URLSearchParams({ region }).toString()}` : ''}#staff`
        : null,
      timezones: TIMEZONES,
      settings:
        forms.settings ??
        emptyForm({
          name: bank.name,
          timezone: bank.timezone,
          language: bank.language,
          reportRecipients: bank.reportRecipients.join('\n'),
          alertRecipients: bank.alertRecipients.join('\n'),
          geofenceMeters: String(bank.geofenceMeters),
        }),
      settingsOpen: Boolean(forms.settings),
      branchForm: forms.branch ?? emptyForm(),
      staffForm: forms.staff ?? emptyForm(),
      branchImport: forms.branchImport,
      staffImport: forms.staffImport,
    },
    status,
  );
}

export const bankPage = page(ADMIN, (ctx) => showBank(ctx));

export const updateBank = page(ADMIN, async (ctx) => {
  const bankId = param(ctx.req, 'bankId');
  const f = formBody(ctx.req);
  const input = bankSettingsInput(f);
  await attempt(
    ctx.locale,
    { fields: BANK_FIELDS, input, values: f },
    async () => {
      const bank = await banks.updateBank(ctx.user, bankId, parseBody(updateBankBody, input));
      flash(ctx.req, 'ok', ctx.t('admin.flash.bank_updated', { code: bank.code }));
      ctx.res.redirect(303, `/admin/banks/${bankId}`);
    },
    (settings, status) => showBank(ctx, { settings }, status),
  );
});

export const createBranch = page(ADMIN, async (ctx) => {
  const bankId = param(ctx.req, 'bankId');
  const f = formBody(ctx.req);
  const input = branchInput(f);
  await attempt(
    ctx.locale,
    { fields: BRANCH_FIELDS, input, values: f },
    async () => {
      const branch = await banks.createBranch(ctx.user, bankId, parseBody(createBranchBody, input));
      flash(ctx.req, 'ok', ctx.t('admin.flash.branch_created', { code: branch.code }));
      ctx.res.redirect(303, `/admin/banks/${bankId}`);
    },
    (branch, status) => showBank(ctx, { branch }, status),
  );
});

export const createStaff = page(ADMIN, async (ctx) => {
  const bankId = param(ctx.req, 'bankId');
  const f = formBody(ctx.req);
  const input = staffInput(f);
  await attempt(
    ctx.locale,
    { fields: STAFF_FIELDS, input, values: f },
    async () => {
      const member = await banks.createStaff(ctx.user, bankId, parseBody(createStaffBody, input));
      flash(ctx.req, 'ok', ctx.t('admin.flash.staff_created', { employeeId: member.employeeId }));
      ctx.res.redirect(303, `/admin/banks/${bankId}`);
    },
    (staff, status) => showBank(ctx, { staff }, status),
  );
});

/** An import either writes everything (then redirects with the counts) or shows each bad row and writes nothing. */
function importPage(kind: 'branches' | 'staff') {
  const run = kind === 'branches' ? banks.importBranches : banks.importStaff;
  const slot = kind === 'branches' ? 'branchImport' : 'staffImport';
  return page(ADMIN, async (ctx) => {
    const bankId = param(ctx.req, 'bankId');
    // An unknown bank is a 404 before anybody's file is read.
    await banks.getBank(ctx.user, bankId);
    try {
      await runUpload(tabularUpload(), ctx.req, ctx.res);
      const result = await run(ctx.user, bankId, requireFile(ctx.req).buffer);
      if (result.rejected)
        return await showBank(
          ctx,
          {
            [slot]: {
              general: [],
              rows: result.errors.map((r) => ({ row: r.row, message: localizeRowMessage(ctx.locale, r.message) })),
              rejected: true,
            },
          },
          422,
        );
      flash(ctx.req, 'ok', ctx.t('admin.import.done', { created: result.created, updated: result.updated }));
      ctx.res.redirect(303, `/admin/banks/${bankId}`);
    } catch (e) {
      const failed = formFailure(e, ctx.locale, {});
      if (!failed) throw e;
      await showBank(ctx, { [slot]: { general: failed.general, rows: [], rejected: true } }, failed.status);
    }
  });
}

export const importBranches = importPage('branches');
export const importStaff = importPage('staff');

/** Admin pages for banks, branches and staff. */
export function registerBankPages(r: Router): void {
  r.get('/admin', (_req, res) => res.redirect(303, '/admin/banks'));
  r.get('/admin/banks', banksPage);
  r.post('/admin/banks', createBank);
  r.get('/admin/banks/:bankId', bankPage);
  r.post('/admin/banks/:bankId', updateBank);
  r.post('/admin/banks/:bankId/branches', createBranch);
  r.post('/admin/banks/:bankId/branches/import', importBranches);
  r.post('/admin/banks/:bankId/staff', createStaff);
  r.post('/admin/banks/:bankId/staff/import', importStaff);
}
