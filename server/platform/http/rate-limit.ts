import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { rateLimit, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import { Schema, model } from 'mongoose';
import { config } from '../config';
import { RateLimitedError } from '../errors';
import { logger } from '../logger';

/**
 * Hit counters in the database, so that every instance of the app counts against the same limit (an
 * in-memory counter per process would give an attacker N times the attempts behind N instances).
 * Fixed windows: one document per key and window, `_id` = hash of the key + the window's start, so
 * each hit is one upsert by `_id` (atomic on MongoDB and on the embedded FerretDB as built here).
 * Keys hold an address and an e-mail, so only their hash is stored; housekeeping purges old windows.
 */
const rateCounterSchema = new Schema(
  {
    _id: { type: String, required: true },
    hits: { type: Number, required: true },
    resetAt: { type: Date, required: true },
  },
  { versionKey: false },
);
export const RateCounter = model('RateCounter', rateCounterSchema, 'rate_counters');

export class DatabaseStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(readonly prefix: string) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private window(key: string): { _id: string; resetAt: Date } {
    const start = Math.floor(Date.now() / this.windowMs) * this.windowMs;
    const hash = crypto.createHash('sha256').update(`${this.prefix}|${key}`).digest('base64url');
    return { _id: `${hash}@${start}`, resetAt: new Date(start + this.windowMs) };
  }

  async increment(key: string): Promise<IncrementResponse> {
    const { _id, resetAt } = this.window(key);
    const doc = await RateCounter.findOneAndUpdate(
      { _id },
      { $inc: { hits: 1 }, $setOnInsert: { resetAt } },
      { upsert: true, new: true },
    ).lean();
    return { totalHits: doc?.hits ?? 1, resetTime: resetAt };
  }

  /**
   * Called by express-rate-limit after the response has gone (a successful sign-in gives its hit
   * back), with nobody to catch a failure: a lost give-back only counts one success as an attempt,
   * while an unhandled rejection would stop the process.
   */
  async decrement(key: string): Promise<void> {
    await RateCounter.updateOne({ _id: this.window(key)._id, hits: { $gt: 0 } }, { $inc: { hits: -1 } }).catch(
      (e: unknown) => logger.warn({ err: e, limit: this.prefix }, 'could not give back a sign-in attempt'),
    );
  }

  async resetKey(key: string): Promise<void> {
    await RateCounter.deleteOne({ _id: this.window(key)._id });
  }
}

const signInEmail = (req: Request) => (typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '');

/**
 * Failed sign-in attempts are counted three ways, each in its own window counter:
 * - per client address and e-mail (LOGIN_RATE_LIMIT): one attacker cannot lock out everyone;
 * - per e-mail from any address (LOGIN_ACCOUNT_RATE_LIMIT, higher): guessing one account's password
 *   from many addresses (a botnet, or addresses rotated) still meets a limit;
 * - per address whatever the e-mail (LOGIN_ADDRESS_RATE_LIMIT, higher still): trying one common
 *   password on many accounts from one address.
 * The address is `req.ip`, which follows TRUST_PROXY (only the proxies named there may tell it).
 * Successful sign-ins do not count: scripts that take a fresh token per run must not lock themselves
 * out. The API and the web sign-in share the counters.
 */
export function signInRateLimit(): RequestHandler {
  const cfg = config();
  const limiter = (prefix: string, limit: number, key: (req: Request) => string) =>
    rateLimit({
      windowMs: cfg.LOGIN_RATE_WINDOW_SECONDS * 1000,
      limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      skipSuccessfulRequests: true,
      // A sign-in turned away before any password was checked (503: hashing busy) is no attempt.
      requestWasSuccessful: (_req, res) => res.statusCode < 400 || res.statusCode === 503,
      store: new DatabaseStore(prefix),
      keyGenerator: key,
      handler: (_req, _res, next) => next(new RateLimitedError()),
    });
  return inTurn([
    limiter('sign-in', cfg.LOGIN_RATE_LIMIT, (req) => `${req.ip}|${signInEmail(req)}`),
    limiter('sign-in-account', cfg.LOGIN_ACCOUNT_RATE_LIMIT, signInEmail),
    limiter('sign-in-address', cfg.LOGIN_ADDRESS_RATE_LIMIT, (req) => String(req.ip)),
  ]);
}

/** One middleware that runs the given ones in turn, stopping at the first that does not pass. */
function inTurn(handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      const handler = handlers[i++];
      if (err !== undefined || !handler) return next(err);
      void handler(req, res, step);
    };
    step();
  };
}

/** Housekeeping: a counter whose window is over counts nothing any more. */
export async function purgeFinishedRateWindows(now = new Date()): Promise<number> {
  const r = await RateCounter.deleteMany({ resetAt: { $lt: now } });
  return r.deletedCount;
}
