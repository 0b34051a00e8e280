#!/usr/bin/env bash
# Installs everything the app and its tests need: system packages, npm packages, the embedded
# database (FerretDB) and the compiled app. Safe to run again; finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
[[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]] || need_apt+=(fonts-noto-cjk)
[[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || need_apt+=(fonts-wqy-microhei)  # the CJK font embedded in the PDF reports
if (( ${#need_apt[@]} )); then
  if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
  echo "Installing system packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# The compiler and the type packages are devDependencies, needed to build also in production, where
# npm would leave them out (NODE_ENV=production means --omit=dev): --include=dev. They are build tools
# only; the app never loads them. An earlier install without them (tsc missing) is redone.
#
# The embedded database is built (Go, mostly CPU) while npm installs (mostly network and disk): on a
# fresh clone the two overlap instead of following each other. The build's output is held back and
# shown after npm's, so the two do not interleave.
ferret_pid=""
ferret_log=""
if [[ -z "${MONGODB_URI:-}" ]]; then
  ferret_log=$(mktemp)
  bash tools/ferretdb/build.sh >"$ferret_log" 2>&1 &
  ferret_pid=$!
fi
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]] \
  || [[ ! -x node_modules/.bin/tsc ]]; then
  echo "Installing npm packages..."
  npm ci --include=dev --no-audit --no-fund --loglevel=error
fi
if [[ -n "$ferret_pid" ]]; then
  ferret_status=0
  wait "$ferret_pid" || ferret_status=$?
  cat "$ferret_log"
  rm -f "$ferret_log"
  if (( ferret_status != 0 )); then exit "$ferret_status"; fi
fi

# Never through npx: without the local compiler npx would fetch an unrelated package named "tsc".
if [[ ! -x node_modules/.bin/tsc ]]; then
  echo "The TypeScript compiler is missing from node_modules (npm packages installed without devDependencies?)." >&2
  echo "Run: npm ci --include=dev" >&2
  exit 5
fi
# scripts/test.sh compiles by itself, beside the linter (SETUP_SKIP_COMPILE=1).
if [[ "${SETUP_SKIP_COMPILE:-}" == "1" ]]; then exit 0; fi
echo "Compiling..."
node_modules/.bin/tsc -p tsconfig.json
