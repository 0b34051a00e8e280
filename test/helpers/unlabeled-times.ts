/**
 * The one-clock check (issue 20): every time of day shown on a page names its zone. A time is
 * "HH:MM" in the page's visible text; it is labelled when a zone name — an IANA name in
 * parentheses such as "(Asia/Shanghai)", or "(UTC)" — follows within the same short stretch of text
 * (a window "09:00 – 2026-12-10 18:00 (Asia/Shanghai)" names it once for both ends).
 */
const TIME = /(?<![\d:])([01]\d|2[0-3]):[0-5]\d(?![\d:])/g;
const ZONE = /\((?:UTC|[A-Z][A-Za-z_]+(?:\/[A-Za-z_+-]+)+)\)/;
const REACH = 48;

/** The visible text of an HTML page: no scripts, styles, tags or attribute values. */
export function visibleText(html: string): string {
  return (
    html
      .replace(/<(script|style|template)[\s\S]*?<\/\1>/gi, ' ')
      // Inline tags join their text (the page kit marks "Asia/Shanghai" in a Chinese page as English, word by word).
      .replace(/<\/?(?:span|a|strong|em|small|b|i|code|time|abbr)\b[^>]*>/gi, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ')
  );
}

/** Each unlabeled time with the text around it; empty when every time names its zone. */
export function unlabeledTimes(html: string): string[] {
  const text = visibleText(html);
  const out: string[] = [];
  for (const m of text.matchAll(TIME)) {
    const at = m.index ?? 0;
    const after = text.slice(at + m[0].length, at + m[0].length + REACH);
    if (!ZONE.test(after)) out.push(text.slice(Math.max(0, at - 30), at + 30));
  }
  return out;
}
