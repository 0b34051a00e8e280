import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { rateLimit, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import { Schema, model } from 'mongoose';
import { config } from '../config';
import { RateLimitedError } from '../errors';

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

  async decrement(key: string): Promise<void> {
    await RateCounter.updateOne({ _id: this.window(key)._id, hits: { $gt: 0 } }, { $inc: { hits: -1 } });
  }

  async resetKey(key: string): Promise<void> {
    await RateCounter.deleteOne({ _id: this.window(key)._id });
  }
}

/**
 * Failed sign-in attempts are limited per client address and e-mail, so one attacker cannot lock out
 * everyone. Successful sign-ins do not count: scripts that take a fresh token per run must not lock
 * themselves out. The API and the web sign-in share the counter.
 */
export function signInRateLimit(): RequestHandler {
  const cfg = config();
  return rateLimit({
    windowMs: cfg.LOGIN_RATE_WINDOW_SECONDS * 1000,
    limit: cfg.LOGIN_RATE_LIMIT,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    store: new DatabaseStore('sign-in'),
    keyGenerator: (req: Request) => {
      const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '';
      return `${req.ip}|${email}`;
    },
    handler: (_req, _res, next) => next(new RateLimitedError()),
  });
}

/** Housekeeping: a counter whose window is over counts nothing any more. */
export async function purgeFinishedRateWindows(now = new Date()): Promise<number> {
  const r = await RateCounter.deleteMany({ resetAt: { $lt: now } });
  return r.deletedCount;
}
