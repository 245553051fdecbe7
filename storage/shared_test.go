package storage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSetIDFormatsAndRefuses: with Config.SetID, Open formats empty drives
// as members of that set and refuses drives of another; the same drives
// passed opened (Config.DriveSet) open as the same set.
func TestSetIDFormatsAndRefuses(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.SetID = "set-a" })
	data := randBytes(1, 300<<10)
	ts.put("k", data)
	for i, p := range ts.drives {
		f, err := newLocalDrive(p).ReadFormat()
		if err != nil || f.SetID != "set-a" || f.Index != i {
			t.Fatalf("drive %d format: %+v, %v", i, f, err)
		}
	}
	ts.Store.Close()

	other := ts.cfg
	other.SetID = "set-b"
	if s, err := Open(other); err == nil || !strings.Contains(err.Error(), "another set") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open with another set id: %v, want a refusal", err)
	}

	set := ts.cfg
	set.Drives = nil
	for _, p := range ts.drives {
		d, err := OpenLocalDrive(p)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		set.DriveSet = append(set.DriveSet, d)
	}
	s, err := Open(set)
	if err != nil {
		t.Fatal(err)
	}
	ts.Store = s
	ts.mustRead("k", data)
}

// TestSharedGrace: on shared drives the scrubber keeps orphans younger
// than SharedGrace (another node's write in flight) and Open removes only
// temporary files older than it; older ones go.
func TestSharedGrace(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.Shared = true })
	ts.put("k", randBytes(2, 300<<10))
	dir := filepath.Join(ts.drives[0], dataDir, "ab")
	if err := os.MkdirAll(dir, dirMode); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-SharedGrace - 5*time.Minute)
	file := func(name string, mod time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), fileMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	young := file("ab000000000000000000000000000001.meta", time.Now())
	stale := file("ab000000000000000000000000000002.meta", old)
	st, err := ts.Scrub(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !exists(young) || exists(stale) || st.OrphansRemoved != 1 {
		t.Fatalf("after scrub: young orphan kept %v, stale removed %v, %d orphans removed", exists(young), !exists(stale), st.OrphansRemoved)
	}

	youngTemp := file(tempPrefix+"ab000000000000000000000000000003.meta.1", time.Now())
	staleTemp := file(tempPrefix+"ab000000000000000000000000000004.meta.2", old)
	ts.reopen()
	if !exists(youngTemp) || exists(staleTemp) {
		t.Fatalf("after Open: young temporary file kept %v, stale one removed %v", exists(youngTemp), !exists(staleTemp))
	}
	ts.cfg.Shared = false
	ts.reopen()
	if exists(youngTemp) {
		t.Fatal("Open without Shared kept a temporary file")
	}
}

// TestQuietSince: a segment may be compacted on shared drives only when
// its successor's number (a time no earlier than its creation) is older
// than the grace.
func TestQuietSince(t *testing.T) {
	now := time.Now().Unix()
	if !quietSince(uint32(now-int64(SharedGrace/time.Second)-60), SharedGrace) {
		t.Fatal("a segment whose successor began long ago is not quiet")
	}
	if quietSince(uint32(now-60), SharedGrace) {
		t.Fatal("a segment whose successor began a minute ago is quiet")
	}
}
