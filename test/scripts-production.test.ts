import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { demoSeedRefusal } from '../seed/demo';
import { ROOT } from './helpers/faults';

/**
 * What the operator's commands do in production (NODE_ENV=production):
 * - scripts/setup.sh builds (npm would leave out the compiler, a devDependency, and `npx tsc` then
 *   fetched an unrelated package with a message nobody understands);
 * - scripts/up.sh loads no demo accounts (their passwords are published) unless asked with --demo;
 * - the seed command itself refuses in production unless asked with --allow-production.
 *
 * The scripts run for real (bash, npm ci, the TypeScript compiler) in a small project of their own
 * whose only package is this checkout's TypeScript (a file: dependency, so nothing is downloaded) and
 * whose `server/cli.ts` and `server/main.ts` only record how they were called.
 */
let project: string;

const PROBE_TSCONFIG = {
  compilerOptions: {
    outDir: 'dist',
    rootDir: '.',
    module: 'commonjs',
    target: 'es2022',
    strict: true,
    types: [],
    // Later builds of the unchanged probe take a fraction of a second.
    incremental: true,
    tsBuildInfoFile: '.tsbuildinfo',
  },
  include: ['server/**/*.ts'],
};
const probe = (name: string) =>
  `export {};\ndeclare const process: { argv: string[] };\n` +
  `declare function require(m: string): { appendFileSync(p: string, s: string): void };\n` +
  `require('fs').appendFileSync('calls.log', '${name} ' + process.argv.slice(2).join(' ') + '\\n');\n`;

function run(command: string, env: Record<string, string>): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', command], {
    cwd: project,
    encoding: 'utf8',
    timeout: 240_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
  });
}
const calls = () =>
  fs.existsSync(path.join(project, 'calls.log')) ? fs.readFileSync(path.join(project, 'calls.log'), 'utf8') : '';

beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-scripts-'));
  fs.mkdirSync(path.join(project, 'scripts'));
  for (const f of ['setup.sh', 'up.sh'])
    fs.copyFileSync(path.join(ROOT, 'scripts', f), path.join(project, 'scripts', f));
  fs.mkdirSync(path.join(project, 'server'));
  fs.writeFileSync(path.join(project, 'server', 'cli.ts'), probe('cli'));
  fs.writeFileSync(path.join(project, 'server', 'main.ts'), probe('main'));
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(PROBE_TSCONFIG));
  const pkg = {
    name: 'scripts-probe',
    version: '1.0.0',
    private: true,
    devDependencies: { typescript: `file:${path.join(ROOT, 'node_modules', 'typescript')}` },
  };
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(pkg, null, 2));
  const lock = run('npm install --package-lock-only --ignore-scripts --no-audit --no-fund --loglevel=error', {});
  if (lock.status !== 0) throw new Error(`npm could not write the lock file: ${lock.stderr}`);
}, 120_000);
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

// MONGODB_URI set: setup.sh then builds no embedded database.
const PRODUCTION = { NODE_ENV: 'production', MONGODB_URI: 'mongodb://db.bank.internal:27017' };

test('NODE_ENV=production bash scripts/setup.sh installs the compiler and builds', () => {
  const res = run('bash scripts/setup.sh', PRODUCTION);
  expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
  expect(fs.existsSync(path.join(project, 'dist', 'server', 'main.js'))).toBe(true);
  expect(res.stdout + res.stderr).not.toMatch(/not the tsc command/i);
}, 240_000);

test('an install that left the compiler out is redone instead of failing at the compile step', () => {
  fs.rmSync(path.join(project, 'node_modules'), { recursive: true, force: true });
  // What `npm ci` does by itself under NODE_ENV=production: devDependencies left out.
  expect(run('npm ci --no-audit --no-fund --loglevel=error', PRODUCTION).status).toBe(0);
  expect(fs.existsSync(path.join(project, 'node_modules', '.bin', 'tsc'))).toBe(false);
  fs.rmSync(path.join(project, 'dist'), { recursive: true, force: true });
  fs.rmSync(path.join(project, '.tsbuildinfo'), { force: true });
  const res = run('bash scripts/setup.sh', PRODUCTION);
  expect(res.status).toBe(0);
  expect(fs.existsSync(path.join(project, 'dist', 'server', 'main.js'))).toBe(true);
}, 240_000);

test('in production up.sh loads no demo data and says where the first admin comes from', () => {
  fs.rmSync(path.join(project, 'calls.log'), { force: true });
  const res = run('bash scripts/up.sh', PRODUCTION);
  expect(res.status).toBe(0);
  expect(calls()).toBe('main \n');
  expect(res.stdout).toContain('no demo data loaded');
  expect(res.stdout).toContain('ADMIN_EMAIL and ADMIN_PASSWORD');
  // With the first admin configured the reminder is left out.
  fs.rmSync(path.join(project, 'calls.log'), { force: true });
  const configured = run('bash scripts/up.sh', {
    ...PRODUCTION,
    ADMIN_EMAIL: 'it@bank.cn',
    ADMIN_PASSWORD: 'x'.repeat(16),
  });
  expect(configured.stdout).not.toContain('On the first start');
  expect(calls()).toBe('main \n');
}, 240_000);

test('up.sh --demo in production, and up.sh outside production, load the demo data into an empty database', () => {
  fs.rmSync(path.join(project, 'calls.log'), { force: true });
  expect(run('bash scripts/up.sh --demo', PRODUCTION).status).toBe(0);
  expect(calls()).toBe('cli seed --if-empty --allow-production\nmain \n');
  fs.rmSync(path.join(project, 'calls.log'), { force: true });
  expect(run('bash scripts/up.sh', { MONGODB_URI: PRODUCTION.MONGODB_URI }).status).toBe(0);
  expect(calls()).toBe('cli seed --if-empty\nmain \n');
  const bad = run('bash scripts/up.sh --dmeo', PRODUCTION);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('Unknown option: --dmeo');
}, 240_000);

describe('the seed command', () => {
  test('refuses in production unless asked with --allow-production', () => {
    expect(demoSeedRefusal({ NODE_ENV: 'production' }, false)).toMatch(/--allow-production/);
    expect(demoSeedRefusal({ NODE_ENV: 'production' }, true)).toBeUndefined();
    expect(demoSeedRefusal({ NODE_ENV: 'development' }, false)).toBeUndefined();
    expect(demoSeedRefusal({ NODE_ENV: 'test' }, false)).toBeUndefined();
  });

  test('`seed --if-empty` on an empty production database creates no demo account and exits 2', async () => {
    const dbName = `seedprod_${process.pid}`;
    const res = spawnSync(
      process.execPath,
      ['-r', '@swc-node/register', path.join(ROOT, 'server', 'cli.ts'), 'seed', '--if-empty'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'production',
          MONGODB_URI: process.env.TEST_DB_URI ?? '',
          DB_NAME: dbName,
          SESSION_SECRET: 'production-like-session-secret-long-enough-0',
          ADMIN_EMAIL: 'it-admin@bank.example',
          ADMIN_PASSWORD: 'Long-enough-admin-pass',
          LOG_LEVEL: 'silent',
        },
      },
    );
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('Not loading the demo data: NODE_ENV=production');
    const conn = await mongoose.createConnection(process.env.TEST_DB_URI as string, { dbName }).asPromise();
    try {
      const users = await conn
        .collection('users')
        .find({}, { projection: { email: 1, role: 1 } })
        .toArray();
      expect(users.map((u) => `${u.email} ${u.role}`)).toEqual(['it-admin@bank.example admin']);
      expect(await conn.collection('banks').countDocuments({})).toBe(0);
    } finally {
      await conn.dropDatabase();
      await conn.close();
    }
  }, 150_000);
});
