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

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "Installing npm packages..."
  npm ci --no-audit --no-fund --loglevel=error
fi

if [[ -z "${MONGODB_URI:-}" ]]; then
  bash tools/ferretdb/build.sh
fi

echo "Compiling..."
npx tsc -p tsconfig.json
