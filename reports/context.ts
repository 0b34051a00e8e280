import { ReportDoc, type Paging } from './doc';
import { dateTime, translator, type Translate } from './format';
import type { Lang, ReportSnapshot } from './types';

/** What every part of a report works with: the snapshot, its language, and the document being written. */
export interface Ctx {
  s: ReportSnapshot;
  lang: Lang;
  t: Translate;
  r: ReportDoc;
}

export type ReportKind = 'bank' | 'region' | 'branch';

/** A new report document with the bank's header and footer on every page. */
export function open(s: ReportSnapshot, kind: ReportKind, scopeLine: string, paging?: Paging, fontLead?: string): Ctx {
  const lang = s.bank.language;
  const t = translator(lang);
  const generated = dateTime(s.generatedAt, s.bank.timezone);
  const title = t(`title.${kind}`);
  const r = new ReportDoc(
    {
      headerLeft: t('header', { bank: s.bank.name, quarter: s.quarter, version: s.version }),
      headerRight: kind === 'bank' ? title : scopeLine,
      footerLeft: t('generated', { at: generated }),
      pageLabel: (x, y) => t('page', { x, y }),
      title: `${s.bank.name} ${s.quarter} ${title} — ${scopeLine}`,
      author: s.bank.name,
      createdAt: new Date(s.generatedAt),
    },
    paging,
    fontLead,
  );
  return { s, lang, t, r };
}
