package driveproto

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cofferstore/coffer/storage"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// pair is a local drive in a temporary directory, served by a handler on
// 127.0.0.1, and the remote drive dialled to it.
type pair struct {
	dir    string
	local  storage.Drive
	srv    *httptest.Server
	remote storage.Drive
}

func newPair(t *testing.T, opt Options) *pair {
	t.Helper()
	dir := t.TempDir()
	local, err := storage.OpenLocalDrive(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(map[string]storage.Drive{"0": local}, testSecret, nil))
	t.Cleanup(srv.Close)
	t.Cleanup(local.Close)
	p := &pair{dir: dir, local: local, srv: srv, remote: Dial(srv.URL, "0", testSecret, opt)}
	t.Cleanup(p.remote.Close)
	if err := p.remote.Format(storage.DriveFormat{Version: 1, SetID: "set", DriveID: "d0", Index: 0, Drives: 4, Data: 2, Parity: 2, BlockSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeFile writes name through a temporary file of d and commits it.
func writeFile(t *testing.T, d storage.Drive, name string, b []byte, shard bool) {
	t.Helper()
	create := d.Create
	if shard {
		create = d.CreateShard
	}
	tf, err := create(name)
	if err != nil {
		t.Fatal(err)
	}
	for chunk := range slices.Chunk(b, 4096) {
		if _, err := tf.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := tf.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := tf.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := d.SyncDir(name); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	p := newPair(t, Options{})
	r := p.remote
	if !r.Present() {
		t.Fatal("remote drive not present")
	}
	f, err := r.ReadFormat()
	if err != nil || f.SetID != "set" || f.DriveID != "d0" || f.Drives != 4 {
		t.Fatalf("ReadFormat = %+v, %v", f, err)
	}
	if lf, err := p.local.ReadFormat(); err != nil || lf.DriveID != "d0" {
		t.Fatalf("local format after remote Format: %+v, %v", lf, err)
	}

	// Temporary files: committed, aborted before and after Sync.
	body := bytes.Repeat([]byte("0123456789abcdef"), 3*4096) // 192 KiB, frames of 4 KiB
	name := "00aa0000000000000000000000000001.shard"
	writeFile(t, r, name, body, true)
	got, err := os.ReadFile(filepath.Join(p.dir, "data", "00", name))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("committed file on the local drive: %d bytes, %v", len(got), err)
	}
	tf, err := r.Create("00aa0000000000000000000000000002.meta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tf.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	tf.Abort()
	tf, err = r.Create("00aa0000000000000000000000000003.meta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tf.Write([]byte("synced")); err != nil {
		t.Fatal(err)
	}
	if err := tf.Sync(); err != nil {
		t.Fatal(err)
	}
	tf.Abort()
	waitFor(t, "aborted temporary files removed", func() bool {
		entries, _ := os.ReadDir(filepath.Join(p.dir, "data", "00"))
		return len(entries) == 1 && entries[0].Name() == name
	})

	// Reads: Open/ReadAt (ranges, end of file), ReadFile, a missing file.
	sf, err := r.Open(name)
	if err != nil || sf.Size() != int64(len(body)) {
		t.Fatalf("Open: %v, size %v", err, sf)
	}
	buf := make([]byte, 1000)
	if n, err := sf.ReadAt(buf, 5000); n != 1000 || err != nil || !bytes.Equal(buf, body[5000:6000]) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if n, err := sf.ReadAt(buf, int64(len(body))-10); n != 10 || err != io.EOF || !bytes.Equal(buf[:10], body[len(body)-10:]) {
		t.Fatalf("ReadAt at the end = %d, %v", n, err)
	}
	_ = sf.Close()
	if b, err := r.ReadFile(name); err != nil || !bytes.Equal(b, body) {
		t.Fatalf("ReadFile: %d bytes, %v", len(b), err)
	}
	if _, err := r.ReadFile("00aa00000000000000000000000000ff.meta"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := r.Open("00aa00000000000000000000000000ff.meta"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := r.ReadFile("../format.json"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile of a name leaving the data directory: %v, want a refusal", err)
	}

	// Walk (more than one page), Remove.
	var names []string
	for i := range walkPage + 5 {
		n := fmt.Sprintf("%02x%030d.meta", i%256, i)
		names = append(names, n)
		writeFile(t, p.local, n, []byte{byte(i)}, false)
	}
	seen := map[string]bool{}
	if err := r.Walk(func(n string, mod time.Time) error {
		if time.Since(mod) > time.Hour {
			t.Errorf("walk: %s modified %v", n, mod)
		}
		seen[n] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(names)+1 || !seen[name] {
		t.Fatalf("walk saw %d files, want %d", len(seen), len(names)+1)
	}
	stop := errors.New("stop")
	if err := r.Walk(func(string, time.Time) error { return stop }); err != stop {
		t.Fatalf("walk stopped by its function: %v", err)
	}
	if err := r.Remove(names...); err != nil {
		t.Fatal(err)
	}
	seen = map[string]bool{}
	if err := r.Walk(func(n string, _ time.Time) error { seen[n] = true; return nil }); err != nil || len(seen) != 1 {
		t.Fatalf("after Remove walk saw %v, %v", seen, err)
	}

	// CleanTemp, Usage.
	tf, err = p.local.Create("00bb0000000000000000000000000001.meta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tf.Write([]byte("left")); err != nil {
		t.Fatal(err)
	}
	if n, err := r.CleanTemp(time.Hour); n != 0 || err != nil {
		t.Fatalf("CleanTemp(1h) = %d, %v", n, err)
	}
	if n, err := r.CleanTemp(0); n != 1 || err != nil {
		t.Fatalf("CleanTemp(0) = %d, %v", n, err)
	}
	tf.Abort()
	if total, free, err := r.Usage(); err != nil || total == 0 || free > total {
		t.Fatalf("Usage = %d, %d, %v", total, free, err)
	}

	// Pack log: Append, ReadPacked, segments, scan, remove.
	recs := [][]byte{[]byte("first record"), bytes.Repeat([]byte{7}, 100<<10)}
	var locs []storage.PackLoc
	for _, rec := range recs {
		loc, err := r.Append(rec)
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, loc)
	}
	for i, loc := range locs {
		if b, err := r.ReadPacked(loc); err != nil || !bytes.Equal(b, recs[i]) {
			t.Fatalf("ReadPacked(%+v): %d bytes, %v", loc, len(b), err)
		}
	}
	segs, err := r.PackSegments()
	if err != nil || len(segs) != 1 || segs[0] != locs[0].Seg || r.ActivePack() != locs[0].Seg {
		t.Fatalf("PackSegments = %v, %v; active %d", segs, err, r.ActivePack())
	}
	if size := r.PackSize(segs[0]); size != p.local.PackSize(segs[0]) || size == 0 {
		t.Fatalf("PackSize = %d, local %d", size, p.local.PackSize(segs[0]))
	}
	var scanned []storage.PackLoc
	if err := r.ScanPack(segs[0], func(loc storage.PackLoc, rec []byte) error {
		if !bytes.Equal(rec, recs[len(scanned)]) {
			t.Errorf("scanned record %d differs", len(scanned))
		}
		scanned = append(scanned, loc)
		return nil
	}); err != nil || !slices.Equal(scanned, locs) {
		t.Fatalf("ScanPack: %v, %v; want %v", scanned, err, locs)
	}
	if err := r.RemovePack(segs[0]); err != nil {
		t.Fatal(err)
	}
	if segs, err := r.PackSegments(); err != nil || len(segs) != 0 {
		t.Fatalf("after RemovePack: %v, %v", segs, err)
	}
	if _, err := r.ReadPacked(locs[0]); err == nil {
		t.Fatal("ReadPacked of a removed segment succeeded")
	}
}

// waitFor polls cond (bounded) until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
