import { collectGarbage, collectOnGrowth, collectYoungGarbage, heldBytes } from '../server/platform/memory';

/**
 * The quarter close collects the snapshot step's garbage before its render threads start
 * (server/publishing/close.ts). The app does not run with --expose-gc: the collection is switched on
 * at run time (after which the flag holds for the whole process, so another test file of the same
 * Jest worker may already see a global `gc`), and must really collect.
 */
describe('collectGarbage', () => {
  test('runs a full collection: an object nothing refers to is gone after it', async () => {
    // Made in a function of its own, so that nothing here refers to the object afterwards.
    const ref = ((): WeakRef<object> => new WeakRef({ payload: new Array(1000).fill('x') }))();
    // A WeakRef's target is kept alive until the end of the current job: collect in a later one.
    await new Promise((r) => setImmediate(r));
    expect(collectGarbage()).toBe(true);
    expect(ref.deref()).toBeUndefined();
  });

  test('what is still referred to stays', async () => {
    const kept = { payload: [1, 2, 3] };
    const ref = new WeakRef(kept);
    await new Promise((r) => setImmediate(r));
    expect(collectGarbage()).toBe(true);
    expect(ref.deref()).toBe(kept);
  });
});

describe('collectYoungGarbage', () => {
  const nextJob = () => new Promise((r) => setImmediate(r));

  test("frees a buffer that died young: the thread's buffer memory falls by its size", async () => {
    const MB = 1024 * 1024;
    // A buffer used and dropped, as a close's PDF once stored.
    ((): void => {
      new Uint8Array(new ArrayBuffer(48 * MB)).fill(1);
    })();
    const before = process.memoryUsage().arrayBuffers;
    expect(collectYoungGarbage()).toBe(true);
    // V8 frees the memory of dead buffers on a helper thread after the collection: wait a little.
    let after = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 100 && before - after < 48 * MB; i++) {
      await new Promise((r) => setTimeout(r, 10));
      after = process.memoryUsage().arrayBuffers;
    }
    expect(before - after).toBeGreaterThanOrEqual(48 * MB);
  });

  test('is a young-generation collection only: garbage in the old generation waits for a full one', async () => {
    const ref = ((): WeakRef<object> => {
      const old = { payload: new Array(1000).fill('y') };
      const r = new WeakRef(old);
      // Survives two full collections while referred to: moved to the old generation.
      collectGarbage();
      collectGarbage();
      return r;
    })();
    await nextJob();
    expect(collectYoungGarbage()).toBe(true);
    expect(ref.deref()).toBeDefined();
    await nextJob();
    expect(collectGarbage()).toBe(true);
    expect(ref.deref()).toBeUndefined();
  });
});

describe('collectOnGrowth', () => {
  const MB = 1024 * 1024;
  /** A thread whose memory the test sets; a collection brings it down to what is live. */
  const thread = (start: number, live: number) => {
    const t = { held: start, live, collections: 0 };
    const c = collectOnGrowth(
      64 * MB,
      () => t.held,
      () => {
        t.collections++;
        t.held = t.live;
        return true;
      },
    );
    return { t, c };
  };

  test('collects once the memory has grown by the limit since the start, not before', () => {
    const { t, c } = thread(300 * MB, 300 * MB);
    t.held = 300 * MB + 64 * MB - 1;
    expect(c.check()).toBe(false);
    t.held = 364 * MB;
    expect(c.check()).toBe(true);
    expect(t.collections).toBe(1);
  });

  test('counts the growth from after the last collection, and from the lowest point seen since', () => {
    const { t, c } = thread(300 * MB, 310 * MB);
    t.held = 370 * MB;
    expect(c.check()).toBe(true); // back to 310
    t.held = 360 * MB;
    expect(c.check()).toBe(false); // 50 MB above 310
    t.held = 280 * MB; // V8 collected by itself meanwhile
    expect(c.check()).toBe(false);
    t.held = 345 * MB; // 65 MB above the lowest point
    expect(c.check()).toBe(true);
    expect(t.collections).toBe(2);
  });

  test('memory that stays live does not bring a collection at every check', () => {
    const { t, c } = thread(300 * MB, 400 * MB);
    t.held = 400 * MB;
    expect(c.check()).toBe(true); // nothing to free: the live set is now the base
    expect(c.check()).toBe(false);
    expect(t.collections).toBe(1);
  });

  test('by default reads this thread’s heap and the buffers it holds', () => {
    const held = Buffer.alloc(32 * MB, 1);
    // Read back to back with the heap alone: what heldBytes adds is the memory outside the heap,
    // the live buffer included. (Differences around an allocation are not reliable: an allocation
    // may set off a collection of whatever garbage the test process holds; CI runs saw that.)
    const total = heldBytes();
    const heap = process.memoryUsage().heapUsed;
    expect(total - heap).toBeGreaterThan(31 * MB);
    expect(held.length).toBe(32 * MB);
  });
});
