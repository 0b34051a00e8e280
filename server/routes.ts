import { registerAuthApi } from './auth/routes';
import { registerBankApi } from './banks/routes';
import type { ApiRouter } from './core/http';
import { registerUserApi } from './users/routes';

/** The whole JSON API, one line per feature. */
export function registerApi(api: ApiRouter): void {
  registerAuthApi(api);
  registerBankApi(api);
  registerUserApi(api);
}
