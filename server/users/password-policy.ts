import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * The password rule (SPEC §14): at least 12 characters and not a common password. "Common" is the
 * shipped list of zxcvbn-ts (@zxcvbn-ts/language-common: the ~30,000 passwords seen most often in
 * leaks), compared without regard to case, also once the digits and signs people add at the end
 * ("Password2026!") are taken off, and a password made of the account's own e-mail name is refused
 * too. Pure: no I/O, the list is loaded once.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 200;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/** The forms of a password that are compared with the list. */
function variants(password: string): string[] {
  const lower = password.toLowerCase().normalize('NFKC');
  const stem = lower.replace(/[\d\W_]+$/u, '');
  const unspaced = lower.replace(/[\s._-]+/g, '');
  return [...new Set([lower, stem, unspaced])].filter((v) => v.length > 0);
}

export function isCommonPassword(password: string): boolean {
  const list = commonPasswords();
  return variants(password).some((v) => list.has(v));
}

export type PasswordProblem = 'too_short' | 'too_long' | 'too_common' | 'too_simple' | 'like_email';

/** What is wrong with a password, or null when it may be used. */
export function passwordProblem(password: string, account?: { email?: string }): PasswordProblem | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (password.length > MAX_PASSWORD_LENGTH) return 'too_long';
  if (isCommonPassword(password)) return 'too_common';
  // "aaaaaaaaaaaa", "121212121212": long, but a handful of keys.
  if (new Set(password.toLowerCase()).size < 5) return 'too_simple';
  const local = account?.email?.split('@')[0]?.toLowerCase();
  if (
    local &&
    local.length >= 4 &&
    variants(password).some((v) => v === local || v.replace(/[\W_]/g, '') === local.replace(/[\W_]/g, ''))
  )
    return 'like_email';
  return null;
}

export const PASSWORD_MESSAGES: Record<PasswordProblem, string> = {
  too_short: `at least ${MIN_PASSWORD_LENGTH} characters`,
  too_long: `at most ${MAX_PASSWORD_LENGTH} characters`,
  too_common: 'is a commonly used password; choose another',
  too_simple: 'uses too few different characters',
  like_email: 'must not be your e-mail name',
};
