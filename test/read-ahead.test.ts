import { readAhead } from '../server/platform/db/read-ahead';

/** A source that counts what was taken from it and whether it was closed. */
function counted(n: number, failAt?: number) {
  const state = { taken: 0, closed: false };
  async function* gen() {
    try {
      for (let i = 0; i < n; i++) {
        await new Promise((r) => setImmediate(r)); // as a cursor's I/O would
        if (i === failAt) throw new Error(`failed at ${i}`);
        state.taken += 1;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: gen() };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

test('yields every item in order', async () => {
  const { source } = counted(1000);
  const out: number[] = [];
  for await (const x of readAhead(source, 64)) out.push(x);
  expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i));
});

test('takes items off the source while the consumer works, never more than `ahead` waiting', async () => {
  const { state, source } = counted(100);
  const it = readAhead(source, 10)[Symbol.asyncIterator]();
  expect((await it.next()).value).toBe(0);
  await settle(); // the consumer is busy with item 0
  // Item 0 taken, ten waiting, and the reader stopped there.
  expect(state.taken).toBe(11);
  expect((await it.next()).value).toBe(1);
  await settle();
  expect(state.taken).toBe(12);
  await it.return?.(undefined);
  expect(state.closed).toBe(true);
});

test('a consumer that stops early closes the source', async () => {
  const { state, source } = counted(1000);
  for await (const x of readAhead(source, 50)) if (x === 3) break;
  expect(state.closed).toBe(true);
  expect(state.taken).toBeLessThanOrEqual(4 + 50);
});

test('a failure of the source reaches the consumer after the items before it', async () => {
  const { source } = counted(10, 7);
  const out: number[] = [];
  await expect(
    (async () => {
      for await (const x of readAhead(source, 3)) out.push(x);
    })(),
  ).rejects.toThrow('failed at 7');
  expect(out).toEqual([0, 1, 2, 3, 4, 5, 6]);
});

test("the source's next request goes out before the consumer works on what it handed over", async () => {
  const log: string[] = [];
  async function* source() {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r)); // the reply comes in
      yield i;
      // Asked for the next: a driver sends the request after a process.nextTick (its connection pool).
      await new Promise((r) => process.nextTick(r));
      log.push(`asked after ${i}`);
    }
  }
  for await (const i of readAhead(source(), 2)) {
    log.push(`work on ${i}`);
    for (let k = 0; k < 1000; k++) await Promise.resolve(); // an await per visit of the batch
  }
  expect(log).toEqual(['asked after 0', 'work on 0', 'asked after 1', 'work on 1', 'asked after 2', 'work on 2']);
});
