import { isIP } from 'node:net';
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { ROLES } from './access';

const projectRoot = path.resolve(__dirname, '..', '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Which proxies in front of the app may tell the client's address (X-Forwarded-For): none (`false`),
 * the number of proxies (`1` for one TLS proxy), or their addresses and subnets. Never "any": the
 * left-most entries of X-Forwarded-For are written by the client, so trusting every entry would let
 * anyone choose the address the sign-in limits count against.
 */
export type TrustProxy = false | number | string[];
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const trustProxy = z.string().transform((raw, ctx): TrustProxy => {
  const v = raw.trim().toLowerCase();
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message:
        'must say which proxies to trust: their number (e.g. 1 for one TLS proxy in front of the app) or their addresses/subnets (e.g. 10.0.0.0/8,loopback); "true" would trust addresses written by clients',
    });
    return z.NEVER;
  }
  if (/^\d+$/.test(v)) {
    if (Number(v) <= 10) return Number(v);
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a number of proxies must be 0 to 10' });
    return z.NEVER;
  }
  const entries = v.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !PROXY_NAMES.has(e) && !isAddressOrSubnet(e));
  if (bad.length) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `not a number of proxies (0-10) nor addresses/subnets: ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
    });
    return z.NEVER;
  }
  return entries;
});

function isAddressOrSubnet(entry: string): boolean {
  // Plain dotted or colon notation only (ipaddr.js would also take "11" or "0x0a" as IPv4).
  if (!isIP(entry.split('/')[0] ?? '')) return false;
  try {
    proxyaddr.compile(entry); // what Express uses for 'trust proxy', so accepted here means understood there
    return entry !== '';
  } catch {
    return false;
  }
}

const mfaRoles = z
  .string()
  .transform((v) =>
    v.trim() === 'none'
      ? []
      : v
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
  )
  .pipe(z.array(z.enum(ROLES, { message: `roles among ${ROLES.join(', ')}, or "none"` })));

/** 32 bytes, written as 64 hex digits or in base64. */
const secretsKey = z
  .string()
  .transform((v) => (/^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64')))
  .refine((b) => b.length === 32, 'must be 32 bytes: 64 hex digits or 44 base64 characters');

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.string().url().optional(),
    MONGODB_URI: z.string().startsWith('mongodb').optional(),
    DB_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,60}$/)
      .default('mystery_shopper'),
    DATA_DIR: z.string().default(path.join(projectRoot, 'data')),
    FERRETDB_BIN: z.string().default(path.join(projectRoot, '.tools', 'bin', 'ferretdb')),
    FERRETDB_PORT: z.coerce.number().int().min(0).max(65535).default(27027),
    SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional(),
    // Idle lifetime of a web session (renewed by each request) and the most it lives after sign-in, whatever the activity.
    SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
    SESSION_ABSOLUTE_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
    // Roles that must use a second factor (TOTP), comma-separated, or "none".
    MFA_REQUIRED_ROLES: mfaRoles.default('admin,reviewer'),
    // The name an authenticator app shows beside the account.
    MFA_ISSUER: z.string().trim().min(1).max(60).default('Mystery Shopper Audit'),
    // Key that seals stored secrets (TOTP secrets, banks' OIDC client secrets): 32 bytes as 64 hex or base64.
    SECRETS_KEY: secretsKey.optional(),
    TOKEN_TTL_HOURS: z.coerce
      .number()
      .positive()
      .default(24 * 7),
    // How long an app instance trusts a token it has just checked (0: check on every request).
    AUTH_CACHE_SECONDS: z.coerce.number().min(0).max(60).default(5),
    // Read by server/reports/render-pool.ts (per close, so tests can vary them); checked here so a bad value stops the start.
    REPORT_RENDER_THREADS: z.coerce.number().int().min(0).max(16).optional(),
    // 0: no cap on a render thread's old generation; else at least 64 MB (default 256, render-pool.ts).
    REPORT_RENDER_HEAP_MB: z.coerce
      .number()
      .int()
      .refine((mb) => mb === 0 || mb >= 64, 'REPORT_RENDER_HEAP_MB must be 0 (no cap) or at least 64')
      .optional(),
    ADMIN_EMAIL: z.string().email().optional(),
    ADMIN_PASSWORD: z.string().min(12, 'ADMIN_PASSWORD must be at least 12 characters').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Failed sign-ins per window: per address and e-mail; per e-mail from any address (guessing from
    // many addresses); per address whatever the e-mail (trying one password on many accounts).
    LOGIN_RATE_LIMIT: z.coerce.number().int().positive().default(10),
    LOGIN_ACCOUNT_RATE_LIMIT: z.coerce.number().int().positive().default(30),
    LOGIN_ADDRESS_RATE_LIMIT: z.coerce.number().int().positive().default(100),
    LOGIN_RATE_WINDOW_SECONDS: z.coerce
      .number()
      .int()
      .positive()
      .default(15 * 60),
    JSON_BODY_LIMIT: z.string().default('256kb'),
    IMPORT_MAX_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(5 * 1024 * 1024),
    IMPORT_MAX_ROWS: z.coerce.number().int().positive().default(20000),
    UPLOAD_MAX_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(20 * 1024 * 1024),
    UPLOAD_MAX_FILES: z.coerce.number().int().positive().default(20),
    // A resumable upload untouched this long is deleted with its bytes (housekeeping).
    UPLOAD_RESUME_HOURS: z.coerce.number().positive().default(24),
    // Resumable uploads one auditor may have open (declared, not completed or cancelled) at once.
    UPLOAD_MAX_OPEN_PER_USER: z.coerce.number().int().positive().max(1000).default(20),
    TRUST_PROXY: trustProxy.default('false'),
    SECURE_COOKIES: bool.optional(),
    // Report e-mails go to this SMTP server (credentials in the URL); without it, to .eml files in OUTBOX_DIR (default DATA_DIR/outbox).
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/./, 'must start with smtp:// or smtps://')
      .optional(),
    MAIL_FROM: z.string().min(3).default('Mystery Shopper Reports <reports@localhost>'),
    OUTBOX_DIR: z.string().optional(),
    // E-mails sent at once by each worker, per lane (alerts and reset links; report e-mails).
    MAIL_SEND_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
    // Close each bank's quarter automatically this many days after it ends (unset: only by hand).
    AUTO_CLOSE_DAYS: z.coerce.number().int().min(0).max(90).optional(),
    // A bank manager may dispute an item of an approved visit for this many days after its approval.
    // scrypt cost as log2(N); 15 (32 MiB, ~100 ms) and up in production, lower only to speed up tests.
    PASSWORD_HASH_LOG_N: z.coerce.number().int().min(10).max(20).default(15),
    // Password hashes computed at once (each holds a libuv thread ~100 ms), and how many may wait
    // before sign-ins are turned away with 503: a flood of sign-ins cannot starve the thread pool.
    PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
    PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(10000).default(50),
    DISPUTE_WINDOW_DAYS: z.coerce.number().int().min(0).max(3650).default(14),
    /** Above this many visited branches, the whole bank's dashboard lists its branches one region at a time. */
    RESULTS_BRANCHES_ON_ONE_PAGE: z.coerce.number().int().min(1).max(100_000).default(500),
    RESULTS_VIOLATIONS_ON_ONE_PAGE: z.coerce.number().int().min(1).max(10_000).default(100),
    // Webhooks (SPEC §13). Targets that may be private or loopback addresses anyway: host names,
    // addresses or subnets, comma-separated (e.g. hooks.bank.internal,10.20.0.0/16).
    WEBHOOK_ALLOWED_TARGETS: z.string().default(''),
    // Delays in seconds before each retry of a failed delivery (default ≈ 27.6 h in all, growing).
    WEBHOOK_RETRY_SCHEDULE: z
      .string()
      .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, 'must be seconds separated by commas')
      .default('5,300,1800,7200,18000,36000,36000'),
    // An endpoint whose deliveries have failed for this long (none succeeding) is disabled and the admins told.
    WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().positive().default(120),
    // A target that has not answered within this time has failed this attempt.
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).default(10_000),
    // Key for the endpoints' signing secrets at rest (AES-256-GCM); defaults to SESSION_SECRET.
    WEBHOOK_SECRET_KEY: z.string().min(32, 'WEBHOOK_SECRET_KEY must be at least 32 characters').optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.PASSWORD_HASH_LOG_N < 15) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['PASSWORD_HASH_LOG_N'],
        message: 'must be at least 15 in production',
      });
    }
    if (env.NODE_ENV === 'production' && !env.SESSION_SECRET) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['SESSION_SECRET'], message: 'required in production' });
    }
  });

export type Config = z.infer<typeof envSchema> & { projectRoot: string; sessionSecret: string; publicUrl: string };

const DEV_ADMIN_EMAIL = 'admin@demo.local';
const DEV_ADMIN_PASSWORD = 'Admin-demo-2026';
/** Only for non-production runs; production refuses to start without SESSION_SECRET. */
const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-in-production-0000';

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // `MONGODB_URI=` (set but empty, as compose files and CI templates often leave it) means "not set".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const dev = c.NODE_ENV !== 'production';
  return {
    ...c,
    ADMIN_EMAIL: c.ADMIN_EMAIL ?? (dev ? DEV_ADMIN_EMAIL : undefined),
    ADMIN_PASSWORD: c.ADMIN_PASSWORD ?? (dev ? DEV_ADMIN_PASSWORD : undefined),
    SECURE_COOKIES: c.SECURE_COOKIES ?? c.NODE_ENV === 'production',
    projectRoot,
    sessionSecret: c.SESSION_SECRET ?? DEV_SESSION_SECRET,
    publicUrl: c.PUBLIC_URL ?? `http://${c.HOST}:${c.PORT}`,
  };
}

let current: Config | undefined;

/** The process-wide configuration, parsed once on first use. */
export function config(): Config {
  current ??= loadConfig();
  return current;
}

/** Tests and the CLI replace the configuration before the app is built. */
export function setConfig(next: Config): void {
  current = next;
}
