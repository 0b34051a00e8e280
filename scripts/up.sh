#!/usr/bin/env bash
# The newcomer's first command: install everything, load demo data (first time only), start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/server/cli.js seed --if-empty
exec node dist/server/main.js
