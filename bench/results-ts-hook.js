/* Runs the TypeScript sources directly (the benchmark's entry point), transpiled by SWC on require. */
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

const options = (filename) => ({
  filename,
  sourceMaps: 'inline',
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
});

require.extensions['.ts'] = function compile(module, filename) {
  module._compile(transformSync(fs.readFileSync(filename, 'utf8'), options(filename)).code, filename);
};
