/** Tests run the TypeScript sources through SWC (type-checking is a separate `tsc --noEmit` step). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fault suite (processes killed, databases stopped) runs on its own: npm run test:faults.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults-'],
  // openid-client, otplib's crypto (@noble, @scure) and their dependencies ship only ES modules: SWC turns them into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose|@scure|@noble|@otplib)/)'],
  transform: {
    '^.+\\.(ts|js)$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/helpers/per-file.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
};
