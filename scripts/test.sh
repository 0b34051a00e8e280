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
# The fault suite (kill -9 of the app, database and mail server outages) runs after the main suite,
# on a full run only (no arguments): npm run test:faults.
if [[ $# -eq 0 ]]; then npx jest --ci --config jest.faults.config.js; fi
