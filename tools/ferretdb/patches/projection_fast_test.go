// Added by the mystery-shopper platform's build (tools/ferretdb/build.sh), not part of upstream FerretDB.

package common

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

func pdoc(pairs ...any) *types.Document { return must.NotFail(types.NewDocument(pairs...)) }
func parr(values ...any) *types.Array   { return must.NotFail(types.NewArray(values...)) }

// TestProjectTopLevelFields compares the fast projection with upstream's on every document and
// projection below: same result, the same choice to leave a projection to upstream, the source
// document unchanged. (Documents are compared through DeepCopy, which writes an empty array the same
// way whatever way it was made.)
func TestProjectTopLevelFields(t *testing.T) {
	docs := []*types.Document{
		pdoc("_id", int32(1), "a", "x", "b", pdoc("c", int32(2)), "d", parr(pdoc("e", int32(3)), "y")),
		pdoc("b", parr(), "_id", types.NewObjectID(), "a", time.Unix(1, 0).UTC(), "z", types.Null),
		pdoc("_id", pdoc("k", int32(1)), "q", "2026-Q2"),
		pdoc("_id", int32(4)),
	}

	for _, tc := range []struct {
		name       string
		projection *types.Document
		fast       bool
	}{
		{"fields", pdoc("a", int32(1), "b", true), true},
		{"fields in another order", pdoc("d", true, "a", true), true},
		{"without _id", pdoc("_id", false, "a", true, "d", true), true},
		{"with _id", pdoc("a", true, "_id", true), true},
		{"only _id", pdoc("_id", true), true},
		{"a missing field", pdoc("missing", true), true},
		{"dotted", pdoc("b.c", true, "a", true), false},
		{"dotted into an array", pdoc("d.e", true), false},
		{"exclusion", pdoc("a", false), false},
		{"exclusion of _id only", pdoc("_id", false), false},
		{"literal", pdoc("a", true, "lit", "text"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			projection, inclusion, err := ValidateProjection(tc.projection)
			require.NoError(t, err)

			for _, d := range docs {
				before := d.DeepCopy()

				want, err := projectDocumentSlow(d.DeepCopy(), projection, nil, inclusion)
				require.NoError(t, err)

				got, ok := projectTopLevelFields(d, projection, inclusion)
				require.Equal(t, tc.fast, ok)

				if ok {
					require.Equal(t, want.DeepCopy(), got.DeepCopy(), "%v", d)
				}

				got, err = ProjectDocument(d, projection, nil, inclusion)
				require.NoError(t, err)
				require.Equal(t, want.DeepCopy(), got.DeepCopy())
				require.Equal(t, before, d.DeepCopy(), "the source document changed") // DeepCopy: an empty array's nil and [] alike
			}
		})
	}

	t.Run("a repeated key is left to upstream", func(t *testing.T) {
		d := pdoc("_id", int32(1), "a", int32(1), "a", int32(2))
		projection, inclusion, err := ValidateProjection(pdoc("b", true))
		require.NoError(t, err)
		_, ok := projectTopLevelFields(d, projection, inclusion)
		require.False(t, ok)
	})
}
