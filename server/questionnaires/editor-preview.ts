import type { Response } from 'express';
import { z } from 'zod';
import { toAppError } from '../platform/http/error-handler';
import { parseBody } from '../platform/http/validation';
import { applicableKeys, SECTION_KEYS } from '../rules/scoring';
import { controlView } from '../web/answer-controls';
import type { PageContext } from '../web/render';
import { problemLines } from './editor-errors';
import { toSections, type EditorState } from './editor-form';
import { sectionsSchema } from './schema';
import { sectionView, type QuestionnaireSection } from './views';

/**
 * The editor's preview of the phone form: the sections as the auditor will see them (the same item
 * controls, views/partials/items/item.hbs), with nothing answered yet, so items that depend on an
 * answer start hidden and appear as the admin answers in the preview. Shown only when the whole
 * questionnaire is valid; otherwise the problems, each naming its item.
 */
const previewBody = z.object({ sections: sectionsSchema });

export interface Preview {
  sections: ReturnType<typeof previewSections>;
  problems: string[];
}

function previewSections(ctx: PageContext, sections: QuestionnaireSection[]) {
  const shown = applicableKeys(sections, []);
  const items = new Map(sections.flatMap((s) => s.items.map((i) => [i.key, i] as const)));
  return SECTION_KEYS.flatMap((key) => {
    const s = sections.find((x) => x.key === key);
    if (!s?.items.length) return [];
    return [
      {
        key,
        label: ctx.t(`questionnaires.section.${key}`),
        items: s.items.map((i) => controlView(i, { shown: shown.has(i.key) }, { locale: ctx.locale, t: ctx.t, items })),
      },
    ];
  });
}

export function previewOf(ctx: PageContext, state: EditorState): Preview {
  const built = toSections(state);
  try {
    // As part of a body, so that each problem's path reads "sections.…" as it does when saving.
    const parsed = parseBody(previewBody, { sections: built.sections }).sections;
    // Read back as a stored version would be, so the preview shows exactly what visits will get.
    const sections = parsed.map((s) => sectionView(s as Parameters<typeof sectionView>[0]));
    return { sections: previewSections(ctx, sections), problems: [] };
  } catch (e) {
    const err = toAppError(e);
    if (err.status >= 500) throw e;
    return { sections: [], problems: problemLines(built, err.details, ctx.locale, ctx.t) };
  }
}

/** The preview as an HTML fragment (no layout), for the editor's script. */
export function renderPreview(res: Response, locale: string, preview: Preview): Promise<string> {
  return new Promise((resolve, reject) => {
    res.render('partials/items/preview', { ...preview, locale, layout: false }, (err: Error | null, html?: string) =>
      err ? reject(err) : resolve(html ?? ''),
    );
  });
}
