import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { config } from './config';
import { RateLimitedError } from './errors';

/**
 * Failed sign-in attempts are limited per client address and e-mail, so one attacker cannot lock out
 * everyone. Successful sign-ins do not count: scripts that take a fresh token per run must not lock
 * themselves out.
 */
export function signInRateLimit(): RequestHandler {
  const cfg = config();
  return rateLimit({
    windowMs: cfg.LOGIN_RATE_WINDOW_SECONDS * 1000,
    limit: cfg.LOGIN_RATE_LIMIT,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    keyGenerator: (req: Request) => {
      const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '';
      return `${req.ip}|${email}`;
    },
    handler: (_req, _res, next) => next(new RateLimitedError()),
  });
}
