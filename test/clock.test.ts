import { now, setClock, withClock } from '../server/platform/clock';

describe('business clock', () => {
  afterEach(() => setClock(null));

  test('is the real time by default', () => {
    const before = Date.now();
    const t = now().getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });

  test('withClock holds for the whole async call chain, and only there', async () => {
    const past = new Date('2026-02-03T04:05:06Z');
    const seen = await withClock(past, async () => {
      const first = now();
      await new Promise((r) => setTimeout(r, 5));
      return [first, now()];
    });
    expect(seen).toEqual([past, past]);
    expect(now().getTime()).toBeGreaterThan(past.getTime());
  });

  test("concurrent withClock chains do not see each other's time", async () => {
    const a = new Date('2026-01-01T00:00:00Z');
    const b = new Date('2026-06-01T00:00:00Z');
    const read = (d: Date) =>
      withClock(d, async () => {
        await new Promise((r) => setTimeout(r, 3));
        return now();
      });
    expect(await Promise.all([read(a), read(b), read(a)])).toEqual([a, b, a]);
  });

  test('setClock sets the process-wide time; withClock still wins inside its chain', () => {
    const fixed = new Date('2026-11-27T02:00:00Z');
    setClock(fixed);
    expect(now()).toEqual(fixed);
    expect(withClock(new Date(0), () => now())).toEqual(new Date(0));
    setClock(null);
    expect(now()).not.toEqual(fixed);
  });

  test('a returned Date cannot move the clock', () => {
    const fixed = new Date('2026-11-27T02:00:00Z');
    setClock(fixed);
    now().setFullYear(2000);
    expect(now()).toEqual(fixed);
  });
});
