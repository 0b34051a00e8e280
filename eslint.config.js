// ESLint (typescript-eslint) for the whole project; `npm run lint` runs it with Prettier, and
// scripts/test.sh (so CI) runs `npm run lint` before the tests. Zero warnings allowed.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

/**
 * A feature is used by others only through its service (docs/architecture.md): another feature's
 * Mongoose model is never imported. Inside a feature, `./model` is its own.
 */
const noForeignModels = {
  patterns: [
    {
      group: ['../*/model', '../../*/model', '../*/*/model', '**/server/*/model'],
      message: "Another feature's model: go through that feature's service (docs/architecture.md).",
    },
  ],
};

module.exports = tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'data/',
      '.tools/',
      'outbox/',
      'coverage/',
      'tools/ferretdb/',
      'test/client/api-types.ts',
      '.stryker-tmp/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      'prefer-const': 'error',
      // Control characters are matched on purpose: file names and headers are cleaned of them.
      'no-control-regex': 'off',
      // Prettier breaks long chains before a computed member (`request(app)\n[method](path)`).
      'no-unexpected-multiline': 'off',
    },
  },
  {
    files: ['server/**/*.ts', 'reports/**/*.ts', 'seed/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', noForeignModels] },
  },
  { files: ['public/**/*.js'], languageOptions: { sourceType: 'script', globals: { ...globals.browser } } },
  {
    files: ['*.js', 'bench/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'seed/**/*.ts', 'server/cli.ts', 'server/main.ts'],
    rules: { 'no-console': 'off' },
  },
  // Tests read untyped JSON answers.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
