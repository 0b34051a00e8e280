import crypto from 'node:crypto';
import path from 'node:path';
import { loadConfig, setConfig } from '../../server/platform/config';
import { installContractCheck, takeContractViolations } from './api-contract';

/**
 * Runs before each test file: points the configuration at this file's own database, so test files
 * never see each other's data, and silences request logs.
 */
const testPath = expect.getState().testPath ?? 'unknown';
const dbName = `t_${path.basename(testPath).replace(/\W/g, '_').slice(0, 30)}_${crypto.createHash('sha1').update(testPath).digest('hex').slice(0, 8)}`;

process.env.NODE_ENV = 'test';
setConfig(
  loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    MONGODB_URI: process.env.TEST_DB_URI,
    DB_NAME: dbName,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-000',
    // The hash stays scrypt; a lower cost keeps the many fixture users fast (production refuses < 15).
    PASSWORD_HASH_LOG_N: process.env.TEST_PASSWORD_HASH_LOG_N ?? '12',
    ADMIN_EMAIL: 'admin@test.local',
    ADMIN_PASSWORD: 'Admin-test-pass-1',
    // The many fixture users sign in with a password alone; the MFA tests turn the requirement on.
    MFA_REQUIRED_ROLES: process.env.TEST_MFA_REQUIRED_ROLES ?? 'none',
  }),
);

// Every API response of the file is held to the OpenAPI document (helpers/api-contract.ts).
installContractCheck();
const contractFailure = () => {
  const seen = takeContractViolations();
  if (seen.length)
    throw new Error(`API responses that differ from /api/v1/openapi.json:\n- ${[...new Set(seen)].join('\n- ')}`);
};
afterEach(contractFailure);
afterAll(contractFailure);
