import type { Router } from 'express';
import { ROLES, type Scope } from '../platform/access';
import { parseBody, parseQuery } from '../platform/http/validation';
import * as banks from '../banks/service';
import {
  attempt,
  blankToUndefined,
  emptyForm,
  formBody,
  param,
  splitList,
  type FormBody,
  type FormState,
} from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { createUserBody, listUsersQuery, updateUserBody } from './schema';
import * as users from './service';

/** Admin pages: the user list with its filters and the create form, and one user's edit and password-reset forms. */
const ADMIN = ['admin'] as const;

const SCOPE_FIELDS = { scope: 'scopeType', 'scope.region': 'scopeRegion', 'scope.branchCodes': 'scopeBranchCodes' };
const USER_FIELDS = {
  email: 'email',
  password: 'password',
  name: 'name',
  role: 'role',
  bankId: 'bankId',
  locale: 'locale',
  ...SCOPE_FIELDS,
};
const EDIT_FIELDS = { name: 'name', active: 'active', ...SCOPE_FIELDS };
const RESET_FIELDS = { password: 'password' };

/** The scope boxes of a form; an unknown type is passed on so that the schema rejects it. */
function scopeInput(f: FormBody): unknown {
  switch (f.scopeType ?? 'bank') {
    case 'bank':
      return { type: 'bank' };
    case 'region':
      return { type: 'region', region: f.scopeRegion ?? '' };
    case 'branches':
      return { type: 'branches', branchCodes: splitList(f.scopeBranchCodes) };
    default:
      return { type: f.scopeType };
  }
}

const scopeValues = (scope: Scope | null) => ({
  scopeType: scope?.type ?? 'bank',
  scopeRegion: scope?.type === 'region' ? scope.region : '',
  scopeBranchCodes: scope?.type === 'branches' ? scope.branchCodes.join(', ') : '',
});

/** A scope only means something inside a bank, so the scope boxes are ignored when no bank is chosen. */
function createInput(f: FormBody) {
  const bankId = blankToUndefined(f.bankId);
  return {
    email: f.email ?? '',
    password: f.password ?? '',
    name: f.name ?? '',
    role: f.role ?? '',
    bankId,
    scope: bankId ? scopeInput(f) : undefined,
    locale: blankToUndefined(f.locale),
  };
}

function describeScope(ctx: PageContext, scope: Scope | null): string {
  if (!scope) return ctx.t('admin.scope.none');
  if (scope.type === 'region') return ctx.t('admin.scope.region_is', { region: scope.region });
  if (scope.type === 'branches') return ctx.t('admin.scope.branches_are', { codes: scope.branchCodes.join(', ') });
  return ctx.t('admin.scope.bank');
}

const roleOptions = (ctx: PageContext) => ROLES.map((r) => ({ value: r, label: ctx.t(`role.${r}`) }));

// ---- user list ----

async function showUsers(ctx: PageContext, create: FormState, status = 200): Promise<void> {
  const filter = parseQuery(
    listUsersQuery,
    Object.fromEntries(Object.entries(ctx.req.query).filter(([, v]) => v !== '')),
  );
  const [list, bankList] = await Promise.all([users.listUsers(filter), banks.listBanks(ctx.user)]);
  const bankCode = new Map(bankList.map((b) => [b.id, b.code]));
  render(
    ctx.req,
    ctx.res,
    'pages/admin/users',
    {
      title: ctx.t('admin.users.title'),
      users: list.map((u) => ({
        ...u,
        roleLabel: ctx.t(`role.${u.role}`),
        bankCode: u.bankId ? (bankCode.get(u.bankId) ?? '') : '',
        scopeText: describeScope(ctx, u.scope),
      })),
      filter,
      banks: bankList,
      roles: roleOptions(ctx),
      create,
    },
    status,
  );
}

export const usersPage = page(ADMIN, (ctx) => showUsers(ctx, emptyForm({ role: 'bank_manager', scopeType: 'bank' })));

export const createUser = page(ADMIN, async (ctx) => {
  const f = formBody(ctx.req);
  const input = createInput(f);
  // The password is never echoed back into the page.
  const values = { ...f, password: '' };
  await attempt(
    ctx.locale,
    { fields: USER_FIELDS, input, values },
    async () => {
      const user = await users.createUser(parseBody(createUserBody, input), ctx.user);
      flash(ctx.req, 'ok', ctx.t('admin.flash.user_created', { email: user.email }));
      ctx.res.redirect(303, '/admin/users');
    },
    (create, status) => showUsers(ctx, create, status),
  );
});

// ---- one user ----

async function showUser(
  ctx: PageContext,
  forms: { edit?: FormState; reset?: FormState } = {},
  status = 200,
): Promise<void> {
  const user = await users.getUser(param(ctx.req, 'userId'));
  const bank = user.bankId ? await banks.getBank(ctx.user, user.bankId) : undefined;
  const mfa = await users.mfaStatus(user.id);
  render(
    ctx.req,
    ctx.res,
    'pages/admin/user',
    {
      title: ctx.t('admin.user.edit'),
      target: { ...user, roleLabel: ctx.t(`role.${user.role}`), scopeText: describeScope(ctx, user.scope) },
      bank,
      mfa,
      edit: forms.edit ?? emptyForm({ name: user.name, active: user.active, ...scopeValues(user.scope) }),
      reset: forms.reset ?? emptyForm(),
    },
    status,
  );
}

export const userPage = page(ADMIN, (ctx) => showUser(ctx));

export const updateUser = page(ADMIN, async (ctx) => {
  const userId = param(ctx.req, 'userId');
  const current = await users.getUser(userId);
  const f = formBody(ctx.req);
  // An unticked checkbox is not posted at all, so its absence means "inactive".
  const input = { name: f.name ?? '', active: f.active === '1', ...(current.bankId ? { scope: scopeInput(f) } : {}) };
  await attempt(
    ctx.locale,
    { fields: EDIT_FIELDS, input, values: { ...f, active: input.active } },
    async () => {
      const user = await users.updateUser(ctx.user, userId, parseBody(updateUserBody, input));
      flash(ctx.req, 'ok', ctx.t('admin.flash.user_updated', { email: user.email }));
      ctx.res.redirect(303, `/admin/users/${userId}`);
    },
    (edit, status) => showUser(ctx, { edit }, status),
  );
});

export const resetPassword = page(ADMIN, async (ctx) => {
  const userId = param(ctx.req, 'userId');
  await users.getUser(userId);
  const input = { password: formBody(ctx.req).password ?? '' };
  await attempt(
    ctx.locale,
    { fields: RESET_FIELDS, input, values: {} },
    async () => {
      const user = await users.updateUser(ctx.user, userId, parseBody(updateUserBody, input));
      flash(ctx.req, 'ok', ctx.t('admin.flash.password_reset', { email: user.email }));
      ctx.res.redirect(303, `/admin/users/${userId}`);
    },
    (reset, status) => showUser(ctx, { reset }, status),
  );
});

/** Admin pages for users. */
export function registerUserPages(r: Router): void {
  r.get('/admin/users', usersPage);
  r.post('/admin/users', createUser);
  r.get('/admin/users/:userId', userPage);
  r.post('/admin/users/:userId', updateUser);
  r.post('/admin/users/:userId/password', resetPassword);
}
