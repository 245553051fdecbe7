package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// cursor is where an unfinished pass stands: every bucket before
// (Tenant, Bucket) in pass order is done, and in that bucket every key up
// to and including Key (none when Key is "") has been handled. Uploads
// says the bucket's versions are done and its uploads are next.
//
// InKey is the key after Key when the pass has (or may have) added a
// delete marker to it: adding a marker turns the current version
// noncurrent, which changes the facts of the key's other versions. On
// resume a marker at InKey's head created at or after MarkerSince (wall
// clock, as storage stamps versions) is taken for the pass's own and left
// out, so the key is decided on the versions as the interrupted pass saw
// them and nothing is asked twice. (A client's DELETE in that window is
// left out too; that only makes the pass do less, never more.)
type cursor struct {
	Tenant      string    `json:"tenant"`
	Bucket      string    `json:"bucket"`
	Key         string    `json:"key,omitempty"`
	InKey       string    `json:"inKey,omitempty"`
	MarkerSince time.Time `json:"markerSince,omitzero"`
	Uploads     bool      `json:"uploads,omitempty"`
}

// before reports whether bucket (tenant, bucket) comes before the cursor's
// in pass order (so was finished by the interrupted pass).
func (c *cursor) before(tenant, bucket string) bool {
	if tenant != c.Tenant {
		return tenant < c.Tenant
	}
	return bucket < c.Bucket
}

// loadCursor reads the state file; nil when there is none (or no file
// is configured). A corrupt file is an error: starting over silently would
// hide it, and the operator can remove the file.
func loadCursor(path string) (*cursor, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c cursor
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("lifecycle: state file %s: %w", path, err)
	}
	return &c, nil
}

// saveCursor replaces the state file atomically (temporary file, fsync,
// rename, fsync of the directory), so a crash leaves the old or the new
// cursor, never a torn one.
func saveCursor(path string, c cursor) error {
	if path == "" {
		return nil
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// clearCursor removes the state file at the end of a pass.
func clearCursor(path string) error {
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}
