import path from 'node:path';
import type { Express, Response } from 'express';
import { accessibleHtml } from './accessible-html';
import { engine } from 'express-handlebars';
import type { HelperOptions } from 'handlebars';
import { clockDay, clockText } from '../../rules/clock-text';
import { DEFAULT_TIMEZONE } from '../../rules/quarters';
import { formatScore } from '../../rules/scoring';
import { config } from '../config';
import { shownZone } from './viewer-zone';
import { translate, type Locale } from '../i18n';

/**
 * The zone a page's times are shown in: the helper's own `zone=` (a row of another bank), else the
 * page's `clockZone` (the bank it is about, set by the page or, for bank users, by the viewer clock
 * of the page router), else the product's default.
 */
function zoneOf(options: HelperOptions): string {
  const own = (options.hash as { zone?: unknown } | undefined)?.zone;
  if (typeof own === 'string' && own) return own;
  const root = (options.data as { root?: { clockZone?: unknown } } | undefined)?.root;
  return typeof root?.clockZone === 'string' && root.clockZone ? root.clockZone : DEFAULT_TIMEZONE;
}

function localeOf(options: HelperOptions): Locale {
  const root = (options.data as { root?: { locale?: Locale } } | undefined)?.root;
  return root?.locale === 'en' ? 'en' : 'zh';
}

export const helpers = {
  /** {{t "key" name=value}} translates in the page's locale. */
  t(key: string, options: HelperOptions) {
    return translate(localeOf(options), key, options.hash as Record<string, unknown>);
  },
  eq: (a: unknown, b: unknown) => a === b,
  ne: (a: unknown, b: unknown) => a !== b,
  includes: (list: unknown, v: unknown) => Array.isArray(list) && list.includes(v),
  json: (v: unknown) => JSON.stringify(v),
  join: (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''),
  /** One decimal, half away from zero (SPEC section 3). */
  score: (v: unknown) => formatScore(typeof v === 'number' ? v : null),
  /** {{date at}}: to the minute in the page's zone, the zone named (one clock on every page). */
  date(v: unknown, options: HelperOptions) {
    return v instanceof Date || typeof v === 'string' ? clockText(v, shownZone(zoneOf(options))) : '';
  },
  /** {{day at}}: the calendar day in the page's zone. */
  day(v: unknown, options: HelperOptions) {
    return v instanceof Date || typeof v === 'string' ? clockDay(v, zoneOf(options)) : '';
  },
};

export function setupViews(app: Express): void {
  const viewsDir = path.join(config().projectRoot, 'views');
  app.engine(
    'hbs',
    engine({
      extname: '.hbs',
      defaultLayout: 'main',
      layoutsDir: path.join(viewsDir, 'layouts'),
      partialsDir: path.join(viewsDir, 'partials'),
      helpers,
    }),
  );
  app.set('view engine', 'hbs');
  app.set('views', viewsDir);
  if (config().NODE_ENV === 'production') app.enable('view cache');
  app.use((req, res, next) => {
    res.render = polishedRender(res);
    next();
  });
}

type RenderCallback = (err: Error | null, html: string) => void;

/** res.render as Express has it, with every page sent through accessibleHtml (data languages, table regions). */
function polishedRender(res: Response): Response['render'] {
  const render = res.render.bind(res) as (view: string, options: object, cb: RenderCallback) => void;
  return ((view: string, options?: object | RenderCallback, callback?: RenderCallback) => {
    if (typeof options === 'function') return render(view, {}, options as RenderCallback);
    if (callback) return render(view, options ?? {}, callback);
    render(view, options ?? {}, (err, html) => {
      if (err) return res.req.next?.(err);
      res.send(accessibleHtml(html));
    });
  }) as Response['render'];
}
