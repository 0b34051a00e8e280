// Added by the mystery-shopper platform's build (tools/ferretdb/build.sh), not part of upstream FerretDB.

package sqlite

import (
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/FerretDB/FerretDB/internal/handler/common"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

func doc(pairs ...any) *types.Document { return must.NotFail(types.NewDocument(pairs...)) }
func arr(values ...any) *types.Array   { return must.NotFail(types.NewArray(values...)) }

// TestTextPushdown stores documents as the backend does (sjson.Marshal) in a real SQLite table and
// checks, filter by filter, that the pushed-down clause keeps every document the whole filter matches
// (what the handler then applies) — and that it does narrow where it can.
func TestTextPushdown(t *testing.T) {
	bank, other := types.NewObjectID(), types.NewObjectID()
	docs := []*types.Document{
		doc("_id", int32(1), "quarter", "2026-Q2", "bankId", bank),
		doc("_id", int32(2), "quarter", "2026-Q1", "bankId", bank),
		doc("_id", int32(3), "quarter", arr("2026-Q1", "2026-Q2"), "bankId", other),
		doc("_id", int32(4), "quarter", arr(), "bankId", arr(bank)),
		doc("_id", int32(5), "nested", doc("quarter", "2026-Q2")),
		doc("_id", int32(6), "quarter", `<a&b> "q" \ 引导`, "bankId", other),
		doc("_id", int32(7), "quarter", int32(2)),
		doc("_id", int32(8), "quarter", "2026-Q2x"),
		doc("_id", int32(9), "bankId", hex.EncodeToString(bank[:])),
	}

	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Exec(`CREATE TABLE t (_ferretdb_sjson TEXT NOT NULL)`)
	require.NoError(t, err)

	for _, d := range docs {
		b, err := sjson.Marshal(d)
		require.NoError(t, err)
		_, err = db.Exec(`INSERT INTO t VALUES (?)`, string(b))
		require.NoError(t, err)
	}

	for _, tc := range []struct {
		name   string
		filter *types.Document
		kept   []int32 // exactly the rows the clause keeps (nil: no clause)
	}{
		{"string", doc("quarter", "2026-Q2"), []int32{1, 3, 4, 5}},
		{"escaped text", doc("quarter", `<a&b> "q" \ 引导`), []int32{3, 4, 6}},
		{"ObjectId (a string of its hex digits too)", doc("bankId", bank), []int32{1, 2, 4, 9}},
		{"both", doc("quarter", "2026-Q2", "bankId", bank), []int32{1, 4}},
		{"with an operator", doc("quarter", "2026-Q1", "status", doc("$in", arr("approved"))), []int32{2, 3, 4}},
		{"numbers are not pushed down", doc("quarter", int32(2)), nil},
		{"dotted paths are not", doc("nested.quarter", "2026-Q2"), nil},
		{"operators are not", doc("$and", arr(doc("quarter", "2026-Q2"))), nil},
		{"nor repeated keys", doc("quarter", "2026-Q1", "quarter", "2026-Q2"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			where, args := textPushdown(tc.filter)
			if tc.kept == nil {
				require.Empty(t, where)
				return
			}

			rows, err := db.Query(`SELECT _ferretdb_sjson FROM t`+where, args...)
			require.NoError(t, err)
			defer rows.Close()

			var kept []int32
			keptSet := map[int32]bool{}
			for rows.Next() {
				var s string
				require.NoError(t, rows.Scan(&s))
				d, err := sjson.Unmarshal([]byte(s))
				require.NoError(t, err)
				id := must.NotFail(d.Get("_id")).(int32)
				kept = append(kept, id)
				keptSet[id] = true
			}
			require.NoError(t, rows.Err())
			require.Equal(t, tc.kept, kept)

			for _, d := range docs {
				match, err := common.FilterDocument(d, tc.filter)
				require.NoError(t, err)
				if match {
					require.True(t, keptSet[must.NotFail(d.Get("_id")).(int32)], "a matching document was dropped: %v", d)
				}
			}
		})
	}
}

// TestHoldsFieldValue checks the search the clause runs on the edges the table above does not reach.
func TestHoldsFieldValue(t *testing.T) {
	for _, tc := range []struct {
		text, key, value string
		want             bool
	}{
		{`{"$s":{"p":{"quarter":{"t":"string"}}},"quarter":"2026-Q2"}`, `"quarter":`, `"2026-Q2"`, true},
		{`{"$s":{"p":{"quarter":{"t":"string"}}},"quarter":"2026-Q1"}`, `"quarter":`, `"2026-Q2"`, false},
		{`{"quarter":["2026-Q1"]}`, `"quarter":`, `"2026-Q2"`, true},
		{`{"quarter":"2026-Q1","nested":{"quarter":"2026-Q2"}}`, `"quarter":`, `"2026-Q2"`, true},
		{`{"quarter":`, `"quarter":`, `"2026-Q2"`, false},
		{`{"quarter":"2026-Q`, `"quarter":`, `"2026-Q2"`, false},
		{`{"xquarter":"2026-Q2"}`, `"quarter":`, `"2026-Q2"`, false},
		{`{"quarter":"quarter":"2026-Q2"}`, `"quarter":`, `"2026-Q2"`, true}, // as instr would
		{`{"quarter":"x","quarter":"2026-Q2"}`, `"quarter":`, `"2026-Q2"`, true},
		{``, `"quarter":`, `"2026-Q2"`, false},
	} {
		require.Equal(t, tc.want, holdsFieldValue([]byte(tc.text), tc.key, tc.value), "%s", tc.text)
	}

	got, err := holdsFieldValues(nil, []driver.Value{[]byte(`{"a":"1","b":"2"}`), `"a":`, `"1"`, `"b":`, `"3"`})
	require.NoError(t, err)
	require.Equal(t, int64(0), got)
	got, err = holdsFieldValues(nil, []driver.Value{`{"a":"1","b":"2"}`, `"a":`, `"1"`, `"b":`, `"2"`})
	require.NoError(t, err)
	require.Equal(t, int64(1), got)
	_, err = holdsFieldValues(nil, []driver.Value{[]byte(`{}`), `"a":`})
	require.Error(t, err)
}
