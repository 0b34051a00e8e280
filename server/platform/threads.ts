import path from 'node:path';

/**
 * How a worker thread loads a module of this code base: compiled JavaScript in production (dist/);
 * from the TypeScript sources (benchmarks, tests, `npm run dev`) through SWC, which the thread registers
 * for itself (the main thread's TypeScript hook does not reach threads). Start the thread with
 * `new Worker(code, { eval: true, execArgv: [], workerData: { ...data, … } })`: not the main thread's
 * options, whose TypeScript hook would load the compiler a second time.
 */
export function threadSource(dir: string, name: string): { code: string; data: { entry: string; swc: string | null } } {
  const ts = path.extname(__filename) === '.ts';
  const entry = path.join(dir, `${name}${ts ? '.ts' : '.js'}`);
  const swc = ts ? require.resolve('@swc/core') : null;
  const code = `
const { workerData } = require('node:worker_threads');
if (workerData.swc) {
  const fs = require('node:fs');
  const { transformSync } = require(workerData.swc);
  const options = (filename) => ({ filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
  require.extensions['.ts'] = (m, filename) => m._compile(transformSync(fs.readFileSync(filename, 'utf8'), options(filename)).code, filename);
}
require(workerData.entry);
`;
  return { code, data: { entry, swc } };
}
