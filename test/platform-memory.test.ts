import { collectGarbage } from '../server/platform/memory';

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
