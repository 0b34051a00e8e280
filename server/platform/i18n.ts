import type { Request } from 'express';
import { en, zh } from '../i18n';

export type Locale = 'zh' | 'en';
export const LOCALE_COOKIE = 'lang';
const dictionaries: Record<Locale, Record<string, string>> = { zh, en };

/** Looks a key up; `{name}` placeholders are filled from `vars`. A missing key shows itself, never blank. */
export function translate(locale: Locale, key: string, vars: Record<string, unknown> = {}): string {
  const text = dictionaries[locale][key] ?? dictionaries.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => (vars[k] === undefined ? `{${k}}` : String(vars[k])));
}

export function isLocale(v: unknown): v is Locale {
  return v === 'zh' || v === 'en';
}

/** The switch is remembered in a cookie; then the user's setting; then the browser's language; Chinese by default. */
export function pickLocale(req: Request): Locale {
  const cookie = (req.cookies as Record<string, string> | undefined)?.[LOCALE_COOKIE];
  if (isLocale(cookie)) return cookie;
  if (req.principal?.locale) return req.principal.locale;
  const accepted = req.acceptsLanguages('zh', 'en');
  return accepted === 'en' ? 'en' : 'zh';
}
