#!/usr/bin/env bash
# The newcomer's first command: install everything, load demo data (first time only), start the app.
#
# With NODE_ENV=production no demo data is loaded: its accounts' passwords are published (README), so
# they would let anyone in. The first admin then comes from ADMIN_EMAIL and ADMIN_PASSWORD.
# `bash scripts/up.sh --demo` loads the demo data in production too (a demonstration system).
set -euo pipefail
cd "$(dirname "$0")/.."
seed_args=(--if-empty)
demo_asked=""
for arg in "$@"; do
  case "$arg" in
    --demo) demo_asked=yes; seed_args+=(--allow-production) ;;
    *) echo "Unknown option: $arg (the only option is --demo)" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
if [[ "${NODE_ENV:-}" == "production" && -z "$demo_asked" ]]; then
  echo "NODE_ENV=production: no demo data loaded (its accounts' passwords are published)."
  if [[ -z "${ADMIN_EMAIL:-}" || -z "${ADMIN_PASSWORD:-}" ]]; then
    echo "On the first start, set ADMIN_EMAIL and ADMIN_PASSWORD: they create the first admin (nothing else can)."
  fi
else
  node dist/server/cli.js seed "${seed_args[@]}"
fi
exec node dist/server/main.js
