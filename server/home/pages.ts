import type { Router } from 'express';
import { page, render } from '../web/render';

export const homePage = page('authenticated', ({ req, res, user, t }) => {
  render(req, res, 'pages/home', { title: t('nav.home'), roleLabel: t(`role.${user.role}`) });
});

export function registerHomePages(r: Router): void {
  r.get('/', homePage);
}
