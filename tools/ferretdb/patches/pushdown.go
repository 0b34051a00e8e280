// Added by the mystery-shopper platform's build (tools/ferretdb/build.sh), not part of upstream FerretDB.

package sqlite

import (
	"regexp"
	"strings"

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
// instr is a plain substring search: upstream evaluates these filters in Go after decoding every
// document of the collection, and JSON functions in SQL (json_extract) parse each document's text
// again, which made the query slower than reading every row.
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

	var conds []string
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

			prefix := `"` + k + `":`
			conds = append(conds, "(instr("+metadata.DefaultColumn+", ?) > 0 OR instr("+metadata.DefaultColumn+", ?) > 0)")
			args = append(args, prefix+string(b), prefix+"[")
		}
	}

	if len(conds) == 0 {
		return "", nil
	}

	return " WHERE " + strings.Join(conds, " AND "), args
}
