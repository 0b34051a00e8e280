import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What keeps a mutant's run short (MUTATION.md, "Keeping the run short"), run by real jest on a small
 * project of its own: jest.pure.runner.js (only the mutated module's listed files, none after a file
 * with a failure) and jest.pure.environment.js (a file's tests stop at its first failure while a mutant
 * is active). Outside Stryker both leave jest as it is.
 */
const project = path.resolve(__dirname, '..');
let root: string;

interface JestJson {
  testResults: { name: string; assertionResults: { title: string; status: string }[] }[];
}

/** jest --findRelatedTests src/a.js in the small project, as Stryker runs a mutant of src/a.js. */
function runJest(env: Record<string, string>): Record<string, Record<string, string>> {
  const run = spawnSync(
    process.execPath,
    [path.join(project, 'node_modules/jest/bin/jest.js'), '--ci', '--json', '--findRelatedTests', 'src/a.js'],
    { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } },
  );
  const json = JSON.parse(run.stdout) as JestJson;
  return Object.fromEntries(
    json.testResults.map((f) => [
      path.relative(root, f.name),
      Object.fromEntries(f.assertionResults.map((t) => [t.title, t.status])),
    ]),
  );
}

const files: Record<string, string> = {
  'src/a.js': 'module.exports = { a: () => 1 };',
  'src/b.js': "const { a } = require('./a');\nmodule.exports = { b: () => a() + 1 };",
  // a's own tests: the first fails when told to (as under a mutant that it kills), the second passes.
  'test/a.test.js':
    "const { a } = require('../src/a');\ntest('a fails when told', () => expect(a()).toBe(process.env.FAIL ? 2 : 1));\ntest('a passes', () => expect(a()).toBe(1));",
  'test/a-more.test.js': "const { a } = require('../src/a');\ntest('a again', () => expect(a()).toBe(1));",
  // b's test imports a, so jest finds it related to a mutant of a.
  'test/b.test.js': "const { b } = require('../src/b');\ntest('b', () => expect(b()).toBe(2));",
  'mutation.modules.js': "module.exports = { 'src/a.js': ['test/a.test.js', 'test/a-more.test.js'] };",
  // The runner's catalogue of the initial run (here: no file is known, so none is left out for it).
  '.stryker-test-files.json': '{}',
  'jest.config.js': `module.exports = {
    rootDir: __dirname,
    testMatch: ['<rootDir>/test/*.test.js'],
    transform: {},
    watchman: false,
    runner: '<rootDir>/jest.pure.runner.js',
    testEnvironment: ${JSON.stringify(path.join(project, 'jest.pure.environment.js'))},
  };`,
};

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mutation-runner-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  fs.copyFileSync(path.join(project, 'jest.pure.runner.js'), path.join(root, 'jest.pure.runner.js'));
  fs.symlinkSync(path.join(project, 'node_modules'), path.join(root, 'node_modules'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('outside Stryker: every related file, every test', () => {
  expect(runJest({ FAIL: '1' })).toEqual({
    'test/a.test.js': { 'a fails when told': 'failed', 'a passes': 'passed' },
    'test/a-more.test.js': { 'a again': 'passed' },
    'test/b.test.js': { b: 'passed' },
  });
});

test("in a Stryker worker: only the files listed for the mutated module, not another module's test", () => {
  expect(runJest({ STRYKER_MUTATOR_WORKER: '1' })).toEqual({
    'test/a.test.js': { 'a fails when told': 'passed', 'a passes': 'passed' },
    'test/a-more.test.js': { 'a again': 'passed' },
  });
});

test('in a Stryker worker: no file after one with a failing test', () => {
  expect(runJest({ STRYKER_MUTATOR_WORKER: '1', FAIL: '1' })).toEqual({
    'test/a.test.js': { 'a fails when told': 'failed', 'a passes': 'passed' },
  });
});

test("under an active mutant: no test after the file's first failure either", () => {
  expect(runJest({ STRYKER_MUTATOR_WORKER: '1', FAIL: '1', __STRYKER_ACTIVE_MUTANT__: '7' })).toEqual({
    'test/a.test.js': { 'a fails when told': 'failed', 'a passes': 'pending' },
  });
});

test('jest.pure.resolver.js: in a Stryker worker each request from a folder is resolved once; elsewhere every time', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const resolve = require(path.join(project, 'jest.pure.resolver.js')) as (
    request: string,
    options: { basedir: string; conditions?: string[]; defaultResolver: (r: string, o: object) => string },
  ) => string;
  const asked: string[] = [];
  const options = (basedir: string) => ({
    basedir,
    conditions: ['require'],
    defaultResolver: (request: string) => {
      asked.push(`${basedir}:${request}`);
      return `${basedir}/node_modules/${request}/index.js`;
    },
  });
  const before = process.env.STRYKER_MUTATOR_WORKER;
  try {
    delete process.env.STRYKER_MUTATOR_WORKER;
    resolve('fc', options('/x'));
    resolve('fc', options('/x'));
    expect(asked).toEqual(['/x:fc', '/x:fc']);
    process.env.STRYKER_MUTATOR_WORKER = '1';
    expect(resolve('fc', options('/y'))).toBe('/y/node_modules/fc/index.js');
    expect(resolve('fc', options('/y'))).toBe('/y/node_modules/fc/index.js');
    expect(resolve('fc', options('/z'))).toBe('/z/node_modules/fc/index.js');
    expect(asked).toEqual(['/x:fc', '/x:fc', '/y:fc', '/z:fc']);
  } finally {
    if (before === undefined) delete process.env.STRYKER_MUTATOR_WORKER;
    else process.env.STRYKER_MUTATOR_WORKER = before;
  }
});
