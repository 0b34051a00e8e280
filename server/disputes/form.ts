import { toAppError } from '../platform/http/error-handler';
import { formFailure, type FormState } from '../web/forms';
import type { PageContext } from '../web/render';

/**
 * Runs a form action of the feedback-loop pages. A fixable error (400/409/413/415/422, and a 404
 * when `notFoundIsFixable` — a mistyped branch code, not a forbidden page) re-shows the form with its
 * messages; the message of one of our own error codes is shown from this feature's dictionary.
 */
export async function runForm(
  ctx: PageContext,
  form: {
    fields: Record<string, string>;
    input: unknown;
    values: Record<string, unknown>;
    notFoundIsFixable?: boolean;
  },
  action: () => Promise<void>,
  reshow: (state: FormState, status: number) => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (e) {
    const err = toAppError(e);
    if (err.status === 404 && form.notFoundIsFixable) {
      await reshow(
        { values: form.values, errors: {}, general: [ctx.t('feedback.err.not_found_in_scope', { what: err.message })] },
        404,
      );
      return;
    }
    const failed = formFailure(e, ctx.locale, form.fields, form.input);
    if (!failed) throw e;
    const own = `feedback.err.${err.code}`;
    const text = ctx.t(own);
    if (text !== own) failed.general[0] = text;
    await reshow({ values: form.values, errors: failed.errors, general: failed.general }, failed.status);
  }
}

/** A posted answer value: digits are a scale value, anything else a yes/no/na word; empty is "not given". */
export function answerValue(raw: string | undefined): string | number | undefined {
  const v = (raw ?? '').trim();
  if (v === '') return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}
