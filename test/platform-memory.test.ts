import { collectGarbage } from '../server/platform/memory';

/**
 * The quarter close collects the snapshot step's garbage before its render threads start
 * (server/publishing/close.ts). Jest does not run with --expose-gc: the collection must be found
 * at run time, and must really collect.
 */
describe('collectGarbage', () => {
  test('runs a full collection without --expose-gc: an object nothing refers to is gone after it', async () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
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
