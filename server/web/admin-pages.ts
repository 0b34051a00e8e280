import type { Router } from 'express';

/** Admin pages for banks, branches, staff and users. */
export function registerAdminPages(_r: Router): void {
  // filled in by the admin pages work
}
