/**
 * Reading a cursor ahead of its consumer. A database cursor asks for its next batch only once its
 * consumer has taken every document of the current one, so the database's work on the next batch
 * and the consumer's work on this one take turns. Read through `readAhead`, the documents are taken
 * off the cursor as they come (up to `ahead` waiting), so the next batch is asked for at once and the
 * database prepares it while the consumer works: on two cores, the two overlap.
 */
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
    }
  } finally {
    // A consumer that stops early (break, throw) closes the cursor too.
    stopped = true;
    wake('reader');
    await reading;
  }
}
