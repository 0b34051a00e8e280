// Added by the mystery-shopper platform's build (tools/ferretdb/build.sh), not part of upstream FerretDB.

package sqlite

import (
	"bytes"
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"

	sqlite3 "modernc.org/sqlite"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
)

// plainKey is a top-level field name that the stored text holds exactly as written.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// textPushdown narrows a query's rows in SQL by the filter's top-level equalities to a string or
// an ObjectId ({quarter: "2026-Q2", bankId: ObjectId(…)}); it returns no clause when there are none.
//
// It only has to keep every row that may match, never to drop all that do not: every handler that
// passes a filter to the backend applies the whole filter again to the rows returned
// (common.FilterIterator), as it does after the _id pushdown.
//
// A stored document is its sjson text, and sjson.Marshal writes a top-level field as "key":<value>,
// the value encoded as MarshalSingleValue encodes it. So a document whose field equals the value holds
// that text, and one whose field is an array (which matches when an element equals the value) holds
// "key":[. Numbers are left out: 1, 1.0 and a 64-bit 1 are equal but written differently.
//
// The search is holdsFieldValue, a Go function registered with SQLite (below): SQL's JSON functions
// (json_extract) parse each document's text again, which made the query slower than reading every
// row, and SQLite's instr, as compiled to Go, scanned ~0.5 GB/s — 40 % of the CPU of reading a quarter's
// 100,000 visits out of 412,000, most of it running twice to the end of every non-matching document
// (once for the value, once for "["). holdsFieldValue finds each occurrence of "key": once, with
// bytes.Index, and looks at what follows.
func textPushdown(filter *types.Document) (string, []any) {
	if filter == nil {
		return "", nil
	}

	keys := filter.Keys()
	seen := make(map[string]int, len(keys))

	for _, k := range keys {
		seen[k]++
	}

	values := filter.Values()

	var args []any

	for i, k := range keys {
		if seen[k] != 1 || !plainKey.MatchString(k) {
			continue
		}

		switch v := values[i].(type) {
		case string, types.ObjectID:
			b, err := sjson.MarshalSingleValue(v)
			if err != nil {
				continue
			}

			args = append(args, `"`+k+`":`, string(b))
		}
	}

	if len(args) == 0 {
		return "", nil
	}

	// CAST AS BLOB: SQLite hands a Go function a text argument by copying it one byte at a time
	// (libc.GoString), a blob with one copy.
	marks := strings.Repeat(", ?", len(args))

	return " WHERE " + holdsFieldValueSQL + "(CAST(" + metadata.DefaultColumn + " AS BLOB)" + marks + ")", args
}

// holdsFieldValueSQL is holdsFieldValue's name in SQL.
const holdsFieldValueSQL = "msa_holds_field_values"

func init() {
	sqlite3.MustRegisterDeterministicScalarFunction(holdsFieldValueSQL, -1, holdsFieldValues)
}

// holdsFieldValues(text, key1, value1, key2, value2, …) is 1 when, for every pair, the text holds the
// key followed by the value or by "[" — the same rows as instr(text, key||value) > 0 OR
// instr(text, key||'[') > 0 for each pair, in one pass per pair.
func holdsFieldValues(_ *sqlite3.FunctionContext, args []driver.Value) (driver.Value, error) {
	if len(args) < 3 || len(args)%2 != 1 {
		return nil, fmt.Errorf("%s: wants a text and key, value pairs, got %d arguments", holdsFieldValueSQL, len(args))
	}

	var text []byte

	switch t := args[0].(type) {
	case []byte:
		text = t
	case string:
		text = []byte(t)
	default:
		return int64(0), nil
	}

	for i := 1; i < len(args); i += 2 {
		key, keyOK := args[i].(string)
		value, valueOK := args[i+1].(string)

		if !keyOK || !valueOK {
			return nil, fmt.Errorf("%s: keys and values are text", holdsFieldValueSQL)
		}

		if !holdsFieldValue(text, key, value) {
			return int64(0), nil
		}
	}

	return int64(1), nil
}

// holdsFieldValue reports whether some occurrence of key in text is followed by value or by "[".
func holdsFieldValue(text []byte, key, value string) bool {
	k := []byte(key)
	for {
		i := bytes.Index(text, k)
		if i < 0 {
			return false
		}

		rest := text[i+len(k):]
		if len(rest) > 0 && rest[0] == '[' || bytes.HasPrefix(rest, []byte(value)) {
			return true
		}

		text = rest
	}
}
