#!/usr/bin/env bash
# The whole test suite: installs what is missing, type-checks, then runs Jest against a real
# FerretDB that the test set-up starts on a free port with a throwaway data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json --noEmit
# ESLint (zero warnings, incl. "no feature imports another feature's model") and Prettier.
npm run lint --silent
npx jest --ci "$@"
# On a full run only (no arguments): mutation testing of the pure modules that decide a published
# number (StrykerJS; fails below the threshold of MUTATION.md, per module), then the fault suite
# (kill -9 of the app, database and mail server outages): npm run test:mutation, npm run test:faults.
if [[ $# -eq 0 ]]; then
  npm run test:mutation --silent
  npx jest --ci --config jest.faults.config.js
fi
