import { unlabeledTimes, visibleText } from './helpers/unlabeled-times';

/** The scanner the page journeys use: it must catch a bare time and pass a labelled one. */
describe('unlabeledTimes', () => {
  test('a bare time is caught', () => {
    expect(unlabeledTimes('<td>2026-12-05 06:51</td>')).toHaveLength(1);
  });

  test('a time with its zone named passes', () => {
    expect(unlabeledTimes('<td>2026-12-05 14:51 (Asia/Shanghai)</td>')).toEqual([]);
    expect(unlabeledTimes('<td>2026-12-05 06:51 (UTC)</td>')).toEqual([]);
    expect(unlabeledTimes('<td>2026-12-05 01:51 (America/New_York)</td>')).toEqual([]);
  });

  test('a zone marked word by word as another language still counts', () => {
    const html = '<td>2026-12-05 14:51 (<span lang="en">Asia</span>/<span lang="en">Shanghai</span>)</td>';
    expect(unlabeledTimes(html)).toEqual([]);
  });

  test('cells next to each other stay apart', () => {
    expect(unlabeledTimes('<td>12</td><td>06:51</td>')).toHaveLength(1);
  });

  test('a window names the zone once for both ends', () => {
    expect(unlabeledTimes('<dd>2026-12-01 09:00 – 2026-12-10 18:00 (Asia/Shanghai)</dd>')).toEqual([]);
  });

  test('a zone far away from the time does not count', () => {
    const html = `<p>10:30</p><p>${'x'.repeat(80)}</p><p>(Asia/Shanghai)</p>`;
    expect(unlabeledTimes(html)).toHaveLength(1);
  });

  test('a zone name without parentheses (a settings value) does not label a time', () => {
    expect(unlabeledTimes('<td>10:30</td><td>Asia/Shanghai</td>')).toHaveLength(1);
  });

  test('scripts and attribute values are not text', () => {
    expect(unlabeledTimes('<script>var t = "10:30";</script><input value="2026-12-05T10:30">')).toEqual([]);
    expect(visibleText('<a title="10:30">x</a>')).not.toContain('10:30');
  });

  test('scores, versions and ratios are not times', () => {
    expect(unlabeledTimes('<td>70.4</td><td>1:2:3</td><td>123:45</td><td>24:00</td>')).toEqual([]);
  });
});
