#!/usr/bin/env bash
# The whole test suite: installs what is missing, type-checks, then runs Jest against a real
# FerretDB that the test set-up starts on a free port with a throwaway data folder.
#
# Arranged for a 2-core machine (what .ci/run gets): steps that each use one thread, or mostly wait,
# run side by side; each one's output is shown whole, and the run fails if any of them fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages and the embedded database (side by side, see setup.sh); the compile comes below.
SETUP_SKIP_COMPILE=1 bash scripts/setup.sh

# The compile (dist/, which the fault suite's processes and the production scripts run) checks the
# types of the same files as `npm run typecheck` (one tsconfig.json), so it is the type-check: a type
# error fails it. ESLint (zero warnings, incl. "no feature imports another feature's model") and
# Prettier run beside it; each of the two is a single thread.
echo "Compiling and linting..."
node_modules/.bin/tsc -p tsconfig.json &
tsc_pid=$!
lint_status=0
npm run lint --silent || lint_status=$?
tsc_status=0
wait "$tsc_pid" || tsc_status=$?
if (( tsc_status != 0 || lint_status != 0 )); then
  echo "type-check (tsc: $tsc_status) or lint ($lint_status) failed" >&2
  exit 1
fi

npx jest --ci "$@"

# On a full run only (no arguments): mutation testing of the pure modules that decide a published
# number (StrykerJS; fails below the threshold of MUTATION.md, per module) and the fault suite (kill -9
# of the app, database and mail server outages). The fault suite mostly waits (processes restarting,
# leases running out), so the mutation run goes beside it, one step lower in priority so that the
# fault suite keeps the timings of a quiet machine; its report is shown after the fault suite's.
# CI_SERIAL=1 runs them one after the other, as before 2026-12-05.
if [[ $# -eq 0 && "${CI_SERIAL:-}" == "1" ]]; then
  npm run test:mutation --silent
  npx jest --ci --config jest.faults.config.js
elif [[ $# -eq 0 ]]; then
  mutation_log=$(mktemp)
  nice -n 5 npm run test:mutation --silent >"$mutation_log" 2>&1 &
  mutation_pid=$!
  faults_status=0
  npx jest --ci --config jest.faults.config.js || faults_status=$?
  mutation_status=0
  wait "$mutation_pid" || mutation_status=$?
  cat "$mutation_log"
  rm -f "$mutation_log"
  if (( faults_status != 0 || mutation_status != 0 )); then
    echo "fault suite ($faults_status) or mutation testing ($mutation_status) failed" >&2
    exit 1
  fi
fi
