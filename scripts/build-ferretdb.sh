#!/usr/bin/env bash
# Builds the embedded database, FerretDB v1.24.2, into .tools/bin (reused when present).
#
# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` succeeds but the binary it makes
# panics at start ("Invalid build/version/version.txt file content"): the module as served has no
# generated version.txt. So we run that go install (to fetch the exact module), then build the same
# module source with version.txt written, as FerretDB's own build does (`task gen-version`).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.24.2
BIN=.tools/bin/ferretdb
if [[ -x "$BIN" ]] && "$BIN" --version 2>/dev/null | grep -q "version: $VERSION"; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  [[ -x /usr/local/go/bin/go ]] && export PATH="$PATH:/usr/local/go/bin"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "Go is not installed, so the embedded database (FerretDB) cannot be built." >&2
  echo "Install Go (https://go.dev/dl/) or set MONGODB_URI to a MongoDB server." >&2
  exit 3
fi
echo "Building FerretDB $VERSION (first time only, about 1-2 minutes)..."
mkdir -p .tools/bin
GOBIN="$PWD/.tools/gobin" go install "github.com/FerretDB/FerretDB/cmd/ferretdb@$VERSION"
SRC_DIR=$(go mod download -json "github.com/FerretDB/FerretDB@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRC_DIR/." "$WORK/"
chmod -R u+w "$WORK"
echo "$VERSION" > "$WORK/build/version/version.txt"
(cd "$WORK" && go build -trimpath -o "$OLDPWD/$BIN" ./cmd/ferretdb)
"$BIN" --version | head -1
