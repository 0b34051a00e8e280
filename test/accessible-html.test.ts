import { accessibleHtml } from '../server/platform/http/accessible-html';

/** The last step of every rendered page (platform/http/accessible-html.ts), on its own. */
const page = (lang: string, body: string) =>
  `<!doctype html><html lang="${lang}"><head><title>标题 Title</title></head><body>${body}</body></html>`;
const body = (html: string) => html.slice(html.indexOf('<body>') + 6, html.indexOf('</body>'));

describe('data in the other language is marked', () => {
  test('Chinese runs in an English page get lang="zh-CN", entities and codes untouched', () => {
    const out = accessibleHtml(page('en', '<p>Branch 上海浦东支行 (SH001), region 华东区 · Tom&#x27;s</p>'));
    expect(body(out)).toBe(
      '<p>Branch <span lang="zh-CN">上海浦东支行</span> (SH001), region <span lang="zh-CN">华东区</span> · Tom&#x27;s</p>',
    );
    expect(out).toContain('<title>标题 Title</title>'); // no markup inside a title
  });

  test('Latin words in a Chinese page get lang="en"; codes and acronyms do not; an entity is never split', () => {
    const out = accessibleHtml(
      page('zh-CN', '<td>Harbour Bank &amp; Cooper · WAN1 · 2026-Q3 · 导出 CSV · mgr@hb.cn · 3 家</td>'),
    );
    expect(body(out)).toBe(
      '<td><span lang="en">Harbour Bank</span> &amp; <span lang="en">Cooper</span> · WAN1 · 2026-Q3 · 导出 CSV · <span lang="en">mgr@hb.cn</span> · 3 家</td>',
    );
  });

  test('text already marked, form fields, scripts and code are left alone; options get the attribute', () => {
    const html = page(
      'en',
      '<a lang="zh-CN" href="/lang/zh">中文</a><textarea>备注</textarea><script>var s = "中";</script><code>支行</code>' +
        '<select><option value="a">华东区</option><option value="b">North</option></select>',
    );
    expect(body(accessibleHtml(html))).toBe(
      '<a lang="zh-CN" href="/lang/zh">中文</a><textarea>备注</textarea><script>var s = "中";</script><code>支行</code>' +
        '<select><option value="a" lang="zh-CN">华东区</option><option value="b">North</option></select>',
    );
  });

  test('a page without a language, or with nothing foreign, comes back unchanged', () => {
    const plain = '<p>上海 and Shanghai</p>';
    expect(accessibleHtml(plain)).toBe(plain);
    const en = page('en', '<p>All English here.</p>');
    expect(accessibleHtml(en)).toBe(en);
  });
});

describe('tables that scroll sideways', () => {
  test('become a region in the tab order, named after the heading or legend above them', () => {
    const out = body(
      accessibleHtml(
        page(
          'en',
          '<h2>Staff &amp; scores</h2><div class="table-wrap"><table></table></div>' +
            '<fieldset><legend>Greeting <code>greeting</code></legend><div class="card table-wrap"><table></table></div></fieldset>',
        ),
      ),
    );
    expect(out).toContain('<div class="table-wrap" tabindex="0" role="region" aria-label="Staff &amp; scores">');
    expect(out).toContain('<div class="card table-wrap" tabindex="0" role="region" aria-label="Greeting greeting">');
  });

  test('a wrapper that already has its own tabindex is not touched', () => {
    const html = page('en', '<div class="table-wrap" tabindex="-1"><table></table></div>');
    expect(accessibleHtml(html)).toBe(html);
  });
});
