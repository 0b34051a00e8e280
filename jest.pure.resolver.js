/**
 * Jest's own module resolution for the pure tests (jest.pure.config.js `resolver`), remembered for the
 * life of a Stryker worker. Jest builds a new resolver for every run, and Stryker makes one jest run
 * per mutant, so every run looked up again, file by file with stat calls, where each of the ~250
 * modules of fast-check, expect and jest-circus lives: a third of a mutant's CPU time. Nothing moves
 * in the sandbox while Stryker runs, so the answer to "this request from this folder" cannot change.
 * A request that fails is not remembered (it throws before anything is stored). Outside Stryker
 * (npm run test:pure, no STRYKER_MUTATOR_WORKER) every lookup goes to jest's resolver as usual.
 */
const remembered = new Map();

module.exports = function resolve(request, options) {
  if (!process.env.STRYKER_MUTATOR_WORKER) return options.defaultResolver(request, options);
  const key = [options.basedir, request, ...(options.conditions ?? [])].join('\0');
  let found = remembered.get(key);
  if (found === undefined) {
    found = options.defaultResolver(request, options);
    remembered.set(key, found);
  }
  return found;
};
