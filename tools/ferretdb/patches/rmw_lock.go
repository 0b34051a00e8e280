package handler

import (
	"sync"

	"github.com/FerretDB/FerretDB/internal/types"
)

// Read-modify-write commands (update, findAndModify, delete) take a lock for what they may change.
// The SQLite backend reads the matching documents and writes them back in separate transactions, so
// without this two conditional updates (filter on a revision field, say) could both match the same
// document and both write: a lost update. MongoDB applies each of them atomically; with these locks
// FerretDB does too (within its process, which is the only one using its SQLite files).
//
// A filter with an exact string or ObjectId _id locks that document only (and the collection for
// reading); any other filter locks the whole collection. Inserts need no lock: a duplicate _id is
// refused by the unique index. Added by the mystery-shopper build of FerretDB (tools/ferretdb/build.sh).

type docLock struct {
	mu   sync.Mutex
	refs int
}

type collectionLock struct {
	all  sync.RWMutex // held for reading by document-level writers, for writing by collection-wide ones
	mu   sync.Mutex   // guards docs
	docs map[string]*docLock
}

var collectionLocks sync.Map // "db.collection" -> *collectionLock

// lockForWrite locks what a command with this filter may modify and returns the unlock function.
func lockForWrite(db, collection string, filter *types.Document) func() {
	l, _ := collectionLocks.LoadOrStore(db+"."+collection, &collectionLock{docs: map[string]*docLock{}})
	cl := l.(*collectionLock)

	key, ok := exactID(filter)
	if !ok {
		cl.all.Lock()
		return cl.all.Unlock
	}

	cl.all.RLock()

	cl.mu.Lock()
	d := cl.docs[key]
	if d == nil {
		d = new(docLock)
		cl.docs[key] = d
	}
	d.refs++
	cl.mu.Unlock()

	d.mu.Lock()

	return func() {
		d.mu.Unlock()

		cl.mu.Lock()
		d.refs--
		if d.refs == 0 {
			delete(cl.docs, key)
		}
		cl.mu.Unlock()

		cl.all.RUnlock()
	}
}

// exactID returns a key for the filter's _id when it names exactly one document.
func exactID(filter *types.Document) (string, bool) {
	if filter == nil {
		return "", false
	}

	v, err := filter.Get("_id")
	if err != nil {
		return "", false
	}

	switch id := v.(type) {
	case string:
		return "s:" + id, true
	case types.ObjectID:
		return "o:" + string(id[:]), true
	default:
		return "", false
	}
}
