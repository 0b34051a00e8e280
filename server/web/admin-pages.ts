import type { Router } from 'express';
import * as bankPages from '../banks/pages';
import * as userPages from '../users/pages';

/** Admin pages for banks, branches, staff and users (each handler checks the `admin` role itself). */
export function registerAdminPages(r: Router): void {
  r.get('/admin', (_req, res) => res.redirect(303, '/admin/banks'));
  r.get('/admin/banks', bankPages.banksPage);
  r.post('/admin/banks', bankPages.createBank);
  r.get('/admin/banks/:bankId', bankPages.bankPage);
  r.post('/admin/banks/:bankId', bankPages.updateBank);
  r.post('/admin/banks/:bankId/branches', bankPages.createBranch);
  r.post('/admin/banks/:bankId/branches/import', bankPages.importBranches);
  r.post('/admin/banks/:bankId/staff', bankPages.createStaff);
  r.post('/admin/banks/:bankId/staff/import', bankPages.importStaff);
  r.get('/admin/users', userPages.usersPage);
  r.post('/admin/users', userPages.createUser);
  r.get('/admin/users/:userId', userPages.userPage);
  r.post('/admin/users/:userId', userPages.updateUser);
  r.post('/admin/users/:userId/password', userPages.resetPassword);
}
