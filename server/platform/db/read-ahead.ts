/**
 * Reading a cursor ahead of its consumer. A database cursor asks for its next batch only once its
 * consumer has taken every document of the current one, so the database's work on the next batch
 * and the consumer's work on this one take turns. Read through `readAhead`, the items are taken off
 * the source as they come (up to `ahead` waiting), so the next batch is asked for at once and the
 * database prepares it while the consumer works: on two cores, the two overlap.
 *
 * For a source of batches (a cursor's batches taken whole): an item the consumer waited for is
 * handed over one event-loop turn after it came. The reader has asked the source for the next one by
 * then, but a driver sends that request only after a process.nextTick (taking a connection from its
 * pool), and Node runs those only once the promise jobs are all done: a consumer that works on a
 * batch of 1,000 visits with an await per visit keeps them going until its last, so the request went
 * out only then and the database waited on the whole batch's work. Reading the large bank's quarter
 * (103 batches), the time from a batch's reply to the next request (the driver's command events) was
 * 2.6–2.7 s with a bare cursor, 6.2–6.9 s with a consumer spending 30 µs a visit, 2.8–3.2 s with that
 * consumer and this turn (BENCHMARKS.md, "Rebuilding the statistics of a quarter").
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function* readAhead<T>(source: AsyncIterable<T>, ahead: number): AsyncGenerator<T> {
  const waiting: T[] = [];
  let done = false;
  let failure: { error: unknown } | null = null;
  let wakeConsumer: (() => void) | null = null;
  let wakeReader: (() => void) | null = null;
  const wake = (which: 'consumer' | 'reader') => {
    const w = which === 'consumer' ? wakeConsumer : wakeReader;
    if (which === 'consumer') wakeConsumer = null;
    else wakeReader = null;
    w?.();
  };
  let stopped = false;
  const reading = (async () => {
    try {
      for await (const item of source) {
        waiting.push(item);
        wake('consumer');
        while (waiting.length >= ahead && !stopped) await new Promise<void>((r) => (wakeReader = r));
        if (stopped) break;
      }
    } catch (e) {
      failure = { error: e };
    } finally {
      done = true;
      wake('consumer');
    }
  })();
  try {
    for (;;) {
      if (waiting.length) {
        const item = waiting.shift() as T;
        if (waiting.length < ahead) wake('reader');
        yield item;
        continue;
      }
      if (failure) throw (failure as { error: unknown }).error;
      if (done) return;
      await new Promise<void>((r) => (wakeConsumer = r));
      await nextTurn(); // the reader's next request goes out first
    }
  } finally {
    // A consumer that stops early (break, throw) closes the cursor too.
    stopped = true;
    wake('reader');
    await reading;
  }
}
