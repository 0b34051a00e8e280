#!/usr/bin/env bash
# Builds the embedded database, FerretDB v1.24.2, into .tools/bin (reused when present).
#
# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` succeeds but the binary it makes
# panics at start ("Invalid build/version/version.txt file content"): the module as served has no
# generated version.txt. So we fetch the exact module (`go mod download`, through the Go proxy, checked
# against the checksum database) and build its source with version.txt written, as FerretDB's own build
# does (`task gen-version`). (An earlier version ran that go install first just to fetch the module:
# on a fresh machine it compiled and linked the whole unpatched FerretDB for nothing.)
#
# Fixes are applied to that source (tools/ferretdb/patches/; PATCH_LEVEL below forces a rebuild when they change):
# - _id lookups use the _id index. The SQLite backend filters `{_id: …}` with
#   `_ferretdb_sjson->'$._id' = ?`, but creates its unique _id index on `_ferretdb_sjson->"_id"`. SQLite
#   only uses an expression index for the identical expression, so every read, update and delete by _id
#   scanned and parsed the whole collection (EXPLAIN QUERY PLAN: SCAN). The filter now uses the index's
#   expression (same value, same semantics): lookups by _id on 20,000 documents go from ~25 ms to ~1 ms.
#   Upstream reports the same class of problem for PostgreSQL (FerretDB/FerretDB#4646).
# - An exact _id is pushed down to SQL also when the filter has other conditions ({_id, rev}); upstream
#   does it only when _id is the sole condition, and scans otherwise (msa.patch, collection.go).
# - Read-modify-write commands (update, findAndModify, delete) of one collection run one at a time
#   (rmw_lock.go), so a conditional update is atomic as on MongoDB; upstream reads the matching document
#   and writes it back in separate transactions, and two `findAndModify({_id, rev: 3})` could both win.
#   buildInfo reports it as ferretdbFeatures.atomicReadModifyWrite, which the app checks. Each lock is
#   released by defer (updateLocked, deleteLocked, findAndModify): FerretDB recovers a panic per connection
#   and serves on, so a lock a panicking command kept would hang every later write of that document.
# - Leak tracking of internal objects (a stack trace captured per document iterator, ~10 % of the CPU
#   under load) is left to FerretDB's debug builds, as its stack capture already was; SQL statements are
#   formatted for the debug log (the whole document, as JSON) only when debug logging is on.
# - The SQLite backend's document codec (package sjson) decodes each stored document in one pass guided
#   by its schema, instead of running encoding/json again at every nesting level, and encodes it in one
#   pass (sjson_fast.go; sjson.patch keeps the originals as unmarshalSlow/marshalSlow). Anything the fast
#   code does not fully understand, every malformed document included, goes to the original, so results
#   and errors are the same; a 30-answer visit decodes ~14x and encodes ~10x faster. The package's tests,
#   upstream's and sjson_fast_test.go (which compares both codecs on every case), run after the build.
# - Write transactions of a database take turns on a Go mutex (write_lock.go, write_lock.patch) instead of
#   racing for SQLite's write lock, whose busy handler sleeps 1..100 ms per retry however soon the lock
#   is free: under 50 concurrent writers that made a few writes wait hundreds of milliseconds. The turn is
#   given back by defer everywhere (execInTurn for deletes), so a panic cannot keep it.
# - A filter's top-level equalities to a string or an ObjectId ({bankId, quarter: "2026-Q2"}) narrow the
#   rows in SQL (pushdown.go, pushdown.patch): upstream decodes every document of the collection and
#   filters in Go. The clause is a substring search for the field as the document's stored text writes
#   it ("quarter":"2026-Q2", or "quarter":[ for an array), so it keeps every document that can match,
#   and the handler still applies the whole filter to what comes back. Reading a quarter's 100,000
#   counted visits out of 412,000: 29 s instead of 32-36 s (a large close's snapshot: 42 s instead of 49-53).
#   The search is a Go function registered with SQLite (msa_holds_field_values: bytes.Index, one pass per
#   field) rather than SQLite's instr, which as compiled to Go scanned ~0.5 GB/s and ran to the end of every
#   non-matching document twice (the value, then "["): 40 % of FerretDB's CPU in that read; with the
#   function, 19-21 s instead of 29-34 s. pushdown_test.go checks the clause against FerretDB's own filter
#   on stored documents, and the function on its edges; it runs after the build.
# - A projection of top-level fields ({branchCode: 1, answers: 1, …}) takes the document's values instead of
#   deep-copying the whole document first (projection_fast.go, projection.patch): the copy was a quarter of
#   FerretDB's CPU in that read once the pushdown was fast. Every other projection (dotted, positional,
#   literal, exclusion) goes to upstream's code; projection_fast_test.go compares both on every case.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=v1.24.2
PATCH_LEVEL="msa-11"
BIN=.tools/bin/ferretdb
STAMP=.tools/bin/ferretdb.build
if [[ -x "$BIN" ]] && "$BIN" --version 2>/dev/null | grep "version: $VERSION" >/dev/null \
  && [[ "$(cat "$STAMP" 2>/dev/null)" == "$VERSION+$PATCH_LEVEL" ]]; then
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
SRC_DIR=$(go mod download -json "github.com/FerretDB/FerretDB@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d "$SRC_DIR" ]] || { echo "go mod download did not fetch FerretDB $VERSION" >&2; exit 4; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRC_DIR/." "$WORK/"
chmod -R u+w "$WORK"
echo "$VERSION" > "$WORK/build/version/version.txt"
META="$WORK/internal/backends/sqlite/metadata/metadata.go"
grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$META" || { echo "FerretDB source changed: _id fix not applicable" >&2; exit 4; }
sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \`->\"_id\"\`|" "$META"
grep -q 'IDColumn = DefaultColumn + `->"_id"`' "$META" || { echo "applying the _id index fix failed" >&2; exit 4; }
cp tools/ferretdb/patches/rmw_lock.go "$WORK/internal/handler/rmw_lock.go"
# git apply works outside a repository too, and git is there wherever this checkout came from.
(cd "$WORK" && git apply -p1 --whitespace=nowarn "$OLDPWD/tools/ferretdb/patches/msa.patch") \
  || { echo "FerretDB source changed: tools/ferretdb/patches/msa.patch does not apply" >&2; exit 4; }
cp tools/ferretdb/patches/sjson_fast.go tools/ferretdb/patches/sjson_fast_test.go "$WORK/internal/handler/sjson/"
(cd "$WORK" && git apply -p1 --whitespace=nowarn "$OLDPWD/tools/ferretdb/patches/sjson.patch") \
  || { echo "FerretDB source changed: tools/ferretdb/patches/sjson.patch does not apply" >&2; exit 4; }
cp tools/ferretdb/patches/write_lock.go "$WORK/internal/backends/sqlite/write_lock.go"
(cd "$WORK" && git apply -p1 --whitespace=nowarn "$OLDPWD/tools/ferretdb/patches/write_lock.patch") \
  || { echo "FerretDB source changed: tools/ferretdb/patches/write_lock.patch does not apply" >&2; exit 4; }
cp tools/ferretdb/patches/projection_fast.go tools/ferretdb/patches/projection_fast_test.go "$WORK/internal/handler/common/"
(cd "$WORK" && git apply -p1 --whitespace=nowarn "$OLDPWD/tools/ferretdb/patches/projection.patch") \
  || { echo "FerretDB source changed: tools/ferretdb/patches/projection.patch does not apply" >&2; exit 4; }
cp tools/ferretdb/patches/pushdown.go tools/ferretdb/patches/pushdown_test.go "$WORK/internal/backends/sqlite/"
(cd "$WORK" && git apply -p1 --whitespace=nowarn "$OLDPWD/tools/ferretdb/patches/pushdown.patch") \
  || { echo "FerretDB source changed: tools/ferretdb/patches/pushdown.patch does not apply" >&2; exit 4; }
(cd "$WORK" && go build -trimpath -o "$OLDPWD/$BIN" ./cmd/ferretdb)
# Upstream's test helpers look for the repository root by its .git folder.
mkdir -p "$WORK/.git"
(cd "$WORK" && go test -count=1 ./internal/handler/sjson/) \
  || { rm -f "$BIN"; echo "the patched FerretDB document codec failed its tests" >&2; exit 4; }
(cd "$WORK" && go test -count=1 -run '^(TestTextPushdown|TestHoldsFieldValue)$' ./internal/backends/sqlite/) \
  || { rm -f "$BIN"; echo "the patched FerretDB query pushdown failed its test" >&2; exit 4; }
(cd "$WORK" && go test -count=1 -run '^TestProjectTopLevelFields$' ./internal/handler/common/) \
  || { rm -f "$BIN"; echo "the patched FerretDB projection failed its test" >&2; exit 4; }
echo "$VERSION+$PATCH_LEVEL" > "$STAMP"
# sed, not head: head would close the pipe early, and under pipefail the SIGPIPE fails the script.
"$BIN" --version | sed -n 1p
