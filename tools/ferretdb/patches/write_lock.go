package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/FerretDB/FerretDB/internal/util/fsql"
)

// Write transactions of one database take turns in this process instead of racing for SQLite's
// write lock. A writer that finds the lock taken gets SQLITE_BUSY and SQLite's busy handler puts it
// to sleep for 1, 2, 5, 10, ... up to 100 ms at a time, whether the lock is freed in a microsecond or
// not: under many concurrent writers that made a few writes wait hundreds of milliseconds while the
// others went ahead (p99 several times p50). A Go mutex hands the turn over as soon as it is free.
// Readers are not affected (WAL). Added by the mystery-shopper build of FerretDB
// (tools/ferretdb/build.sh); every write of the backend goes through InsertAll, UpdateAll or
// DeleteAll, and metadata changes (rare) still rely on the busy handler.

var writeLocks sync.Map // database name -> *sync.Mutex

func writeLock(dbName string) *sync.Mutex {
	if l, ok := writeLocks.Load(dbName); ok {
		return l.(*sync.Mutex)
	}

	l, _ := writeLocks.LoadOrStore(dbName, new(sync.Mutex))

	return l.(*sync.Mutex)
}

// execInTurn runs one write statement in the database's turn. The turn is given back by defer, so
// that a panic (FerretDB recovers it per connection) cannot keep every later write of the database
// waiting; InsertAll and UpdateAll hold it the same way around their transactions.
func execInTurn(ctx context.Context, dbName string, db *fsql.DB, q string, args ...any) (sql.Result, error) {
	wl := writeLock(dbName)
	wl.Lock()
	defer wl.Unlock()

	return db.ExecContext(ctx, q, args...)
}
