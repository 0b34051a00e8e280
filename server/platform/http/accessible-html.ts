import { Parser } from 'htmlparser2';

/**
 * The last step of every rendered page, so that each page gets it without its template asking:
 *
 * - Language of data. A page in English shows Chinese branch, staff and bank names, and a page in
 *   Chinese shows English ones; assistive technology reads them with the right voice only when they
 *   are marked. Runs of Chinese text in an English page get `<span lang="zh-CN">`, runs of Latin words
 *   in a Chinese page `<span lang="en">` (an `<option>` gets the attribute itself, as it holds no tags).
 *   Tests that match page HTML literally see these marks: test/helpers/web.ts's `unmarked` removes them.
 * - Tables that scroll sideways (`.table-wrap`) become a named region in the tab order, so a keyboard
 *   user can reach and scroll them; the name is the heading above the table.
 *
 * Pure: HTML in, HTML out. The original text is kept byte for byte; only attributes and spans are added.
 */

const CJK = '\\u3000-\\u303f\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uff00-\\uffef';
/** A run of Chinese: CJK characters, with spaces, digits, quotes and light punctuation between them. */
const CHINESE_RUN = new RegExp(`[${CJK}]+(?:[\\s\\d·.,:/()“”‘’—…\\-]*[${CJK}]+)*`, 'g');
/** An entity (kept whole), or a run of Latin words: tokens of letters, digits and . _ @ - ' with a letter in each. */
const WORD = "(?=[\\w.@'’-]*[A-Za-z])[A-Za-z0-9][\\w.@'’-]*";
const LATIN_RUN = new RegExp(`&#?\\w+;|${WORD}(?:[ \\t]+${WORD})*`, 'g');
const HAS_CJK = new RegExp(`[${CJK}]`);

/** Elements whose text is never wrapped: no markup inside them, or not shown as language. */
const RAW = new Set(['script', 'style', 'textarea', 'title', 'code', 'pre', 'svg', 'math', 'template', 'select']);
/** What names the table below it: a heading, or the legend of the fieldset it sits in. */
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'legend']);
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
]);

type PageLanguage = 'zh' | 'en';
const langOf = (value: string | undefined): PageLanguage | undefined =>
  value === undefined ? undefined : value.toLowerCase().startsWith('zh') ? 'zh' : 'en';

interface Open {
  name: string;
  lang: PageLanguage | undefined;
  raw: boolean;
}

interface Insert {
  at: number;
  text: string;
}

/** Where the other language's runs are in a piece of raw (still escaped) text. */
function foreignRuns(raw: string, page: PageLanguage): [number, number][] {
  const runs: [number, number][] = [];
  if (page === 'en') {
    for (const m of raw.matchAll(CHINESE_RUN)) runs.push([m.index, m.index + m[0].length]);
  } else {
    // Words, not codes: a run counts when it holds letters as words are written (two lower-case in a
    // row). Codes, acronyms and quarters (WAN1, PDF, 2026-Q3) read the same in either voice.
    for (const m of raw.matchAll(LATIN_RUN))
      if (!m[0].startsWith('&') && /[a-z]{2}/.test(m[0])) runs.push([m.index, m.index + m[0].length]);
  }
  return runs;
}

const attr = (text: string) => text.replace(/\s+/g, ' ').trim().replace(/"/g, '&quot;');

export function accessibleHtml(html: string): string {
  const inserts: Insert[] = [];
  const stack: Open[] = [];
  let page: PageLanguage | undefined;
  let heading: string[] | null = null;
  let lastHeading = '';
  let option: { tagEnd: number; lang: PageLanguage | undefined; text: string } | null = null;
  const current = () => stack[stack.length - 1];

  const parser: Parser = new Parser(
    {
      onopentag(name, attribs) {
        const parent = current();
        const lang = langOf(attribs.lang) ?? parent?.lang;
        if (name === 'html') page = langOf(attribs.lang);
        // `>` of the start tag (or of `/>`): attributes go just before it.
        const tagEnd = html[parser.endIndex - 1] === '/' ? parser.endIndex - 1 : parser.endIndex;
        if (name === 'div' && /(^|\s)table-wrap(\s|$)/.test(attribs.class ?? '') && attribs.tabindex === undefined) {
          const label = lastHeading ? ` aria-label="${attr(lastHeading)}"` : '';
          inserts.push({ at: tagEnd, text: ` tabindex="0" role="region"${label}` });
        }
        if (name === 'option' && attribs.lang === undefined) option = { tagEnd, lang, text: '' };
        if (HEADINGS.has(name)) heading = [];
        if (!VOID.has(name)) stack.push({ name, lang, raw: RAW.has(name) || Boolean(parent?.raw) });
      },
      ontext(text) {
        if (heading) heading.push(text);
        if (option) option.text += text;
        const open = current();
        if (!page || !open || open.raw || open.name === 'option') return;
        if ((open.lang ?? page) !== page) return; // already marked as the other language
        const start = parser.startIndex;
        const other = page === 'en' ? 'zh-CN' : 'en';
        for (const [from, to] of foreignRuns(text, page)) {
          inserts.push({ at: start + from, text: `<span lang="${other}">` });
          inserts.push({ at: start + to, text: '</span>' });
        }
      },
      onclosetag(name) {
        if (HEADINGS.has(name) && heading) {
          lastHeading = heading.join('');
          heading = null;
        }
        if (name === 'option' && option) {
          const inherited = option.lang ?? page;
          const text = option.text.trim();
          const foreign = page === 'en' ? HAS_CJK.test(text) : /[a-z]{2}/.test(text) && !HAS_CJK.test(text);
          if (page && inherited === page && text && foreign)
            inserts.push({ at: option.tagEnd, text: ` lang="${page === 'en' ? 'zh-CN' : 'en'}"` });
          option = null;
        }
        // Close up to the matching element (HTML closes some implicitly, e.g. <p> or <option>).
        for (let i = stack.length - 1; i >= 0; i--) {
          if (stack[i].name === name) {
            stack.length = i;
            break;
          }
        }
      },
    },
    { decodeEntities: false, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  if (inserts.length === 0) return html;
  // Stable order: at one position, a closing span comes before an opening one.
  inserts.sort((a, b) => a.at - b.at || (a.text.startsWith('</') ? -1 : b.text.startsWith('</') ? 1 : 0));
  let out = '';
  let from = 0;
  for (const ins of inserts) {
    out += html.slice(from, ins.at) + ins.text;
    from = ins.at;
  }
  return out + html.slice(from);
}
