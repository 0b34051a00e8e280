// Added by the mystery-shopper platform's build (tools/ferretdb/build.sh), not part of upstream FerretDB.

package common

import (
	"strings"

	"github.com/FerretDB/FerretDB/internal/types"
)

// projectTopLevelFields applies an inclusion projection of top-level fields ({a: 1, b: 1}, with or
// without _id) without copying the document: the result is _id (unless excluded), then the included
// fields in the document's order — what projectDocumentSlow returns — holding the document's own
// values. Upstream deep-copies every document it projects (twice for inclusion: the document, then
// each included value as it moves); reading 100,000 visits of ~6 KB with a 13-field projection, that
// copy was a quarter of FerretDB's CPU. Sharing is safe because the projection iterator hands the
// projected document on and drops the original, and nothing downstream changes a value in place.
//
// ok is false for anything else (a dotted or positional path, a literal value, an exclusion, a
// document without _id or with a repeated key): projectDocumentSlow handles those as before.
func projectTopLevelFields(doc, projection *types.Document, inclusion bool) (*types.Document, bool) {
	if !inclusion || doc == nil || projection == nil {
		return nil, false
	}

	keepID := true
	keys, values := projection.Keys(), projection.Values()
	wanted := make(map[string]struct{}, len(keys))

	for i, key := range keys {
		include, ok := values[i].(bool)
		if !ok {
			return nil, false
		}

		if key == "_id" {
			keepID = include
			continue
		}

		if !include || key == "" || strings.ContainsAny(key, ".$") {
			return nil, false
		}

		wanted[key] = struct{}{}
	}

	if _, dup := doc.FindDuplicateKey(); dup || !doc.Has("_id") {
		return nil, false
	}

	projected := types.MakeDocument(len(wanted) + 1)
	if keepID {
		id, _ := doc.Get("_id")
		projected.Set("_id", id)
	}

	docKeys, docValues := doc.Keys(), doc.Values()
	for i, key := range docKeys {
		if _, ok := wanted[key]; ok {
			projected.Set(key, docValues[i])
		}
	}

	projected.SetRecordID(doc.RecordID())

	return projected, true
}
