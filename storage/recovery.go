package storage

import (
	"fmt"
	"log/slog"
	"sync"
)

// maxRecordedErrors bounds the messages a recovery pass keeps of the
// errors it skipped (the count is exact).
const maxRecordedErrors = 16

// errorTally counts the errors a recovery pass (rebuild, scrub, compaction,
// heal) skips instead of stopping, keeps the first maxRecordedErrors
// messages and logs each. Messages name drives, files and data ids, never
// object keys. Safe for concurrent use.
type errorTally struct {
	log   *slog.Logger
	mu    sync.Mutex
	count uint64
	first []string
}

// add records err (nil: nothing) met while doing what.
func (t *errorTally) add(what string, err error) {
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s: %v", what, err)
	if t.log != nil {
		t.log.Warn("storage: recovery skipped an error", "err", msg)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.count++
	t.first = recordError(t.first, msg)
}

func (t *errorTally) snapshot() (uint64, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count, append([]string(nil), t.first...)
}

// recordError appends msg to list unless it holds maxRecordedErrors.
func recordError(list []string, msg string) []string {
	if len(list) >= maxRecordedErrors {
		return list
	}
	return append(list, msg)
}
