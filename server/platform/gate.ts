/**
 * A bounded gate for expensive work: at most `limit()` tasks run at once, at most `queue()` wait for
 * their turn (first come, first served), and a caller beyond that may be turned away at once instead
 * of piling up. Limits are read on every call, so configuration changes (tests) apply immediately.
 * Written here rather than taken from p-limit & co., which queue without bound.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private highest = 0;

  constructor(
    private readonly limit: () => number,
    private readonly queue: () => number,
  ) {}

  /** Runs `task` in its turn; `refuse()` is thrown when the queue is full and the caller may be refused. */
  async run<T>(task: () => Promise<T>, opts: { refuse?: () => Error } = {}): Promise<T> {
    if (this.running >= this.limit()) {
      if (opts.refuse && this.waiting.length >= this.queue()) throw opts.refuse();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    this.highest = Math.max(this.highest, this.running);
    try {
      return await task();
    } finally {
      this.handOver();
    }
  }

  /** The turn goes to the next waiting task (the running count stays), or is given back. */
  private handOver(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }

  /** For monitoring and tests: running now, waiting now, the most ever run at once. */
  stats(): { running: number; waiting: number; highest: number } {
    return { running: this.running, waiting: this.waiting.length, highest: this.highest };
  }
}
