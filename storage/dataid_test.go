package storage

import (
	"encoding/hex"
	"testing"
	"time"
)

// Data ids are newID-shaped (32 hex digits, so every name check and the
// data directory scheme stay as they were), spread over the directories by
// the second, ordered by time within it, and unique.
func TestNewDataID(t *testing.T) {
	seen := map[string]bool{}
	var prev string
	ordered, pairs := 0, 0
	for range 20000 {
		before := time.Now().Unix()
		id := newDataID()
		after := time.Now().Unix()
		raw, err := hex.DecodeString(id)
		if err != nil || len(id) != 32 || len(raw) != 16 {
			t.Fatalf("id %q is not 32 hex digits", id)
		}
		if raw[0] != byte(before) && raw[0] != byte(after) {
			t.Fatalf("id %q: first byte %d is not the second mod 256 (%d)", id, raw[0], byte(before))
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if prev != "" && prev[:2] == id[:2] {
			pairs++
			if prev[:14] <= id[:14] { // second byte .. millisecond: never back in time
				ordered++
			}
		}
		prev = id
	}
	if pairs == 0 || ordered != pairs {
		t.Fatalf("%d of %d consecutive ids in the same second were in time order", ordered, pairs)
	}
}
