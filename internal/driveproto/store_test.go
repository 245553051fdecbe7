package driveproto

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

// driveNode is one remote drive's node: a local drive in a directory,
// served on a fixed 127.0.0.1 address that survives stop and start.
type driveNode struct {
	t     *testing.T
	dir   string
	addr  string
	local storage.Drive
	srv   *http.Server
}

func startNode(t *testing.T, dir, addr string) *driveNode {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	local, err := storage.OpenLocalDrive(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The node cleans its own drive at its start (Config.Shared leaves
	// remote drives' temporary files to their owners).
	_, _ = local.CleanTemp(0)
	n := &driveNode{t: t, dir: dir, addr: ln.Addr().String(), local: local,
		srv: &http.Server{Handler: NewHandler(map[string]storage.Drive{"0": local}, testSecret, nil)}}
	go func() { _ = n.srv.Serve(ln) }()
	t.Cleanup(n.stop)
	return n
}

// stop kills the node: its listener and every connection close.
func (n *driveNode) stop() {
	_ = n.srv.Close()
	n.local.Close()
}

// countingTransport counts the requests that reach for a node, but for
// the offline probe's pings.
type countingTransport struct {
	http.RoundTripper
	calls atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/"+opPing) {
		c.calls.Add(1)
	}
	return c.RoundTripper.RoundTrip(r)
}

// cluster is a store over 4 drives (EC 2+2): 0 and 1 local, 2 and 3 each
// on a node of their own reached over the drive protocol.
type cluster struct {
	t       *testing.T
	store   *storage.Store
	cfg     storage.Config
	dirs    []string
	nodes   []*driveNode // by drive; nil for local drives
	remotes []storage.Drive
	counts  []*countingTransport
}

func newCluster(t *testing.T) *cluster { return newClusterDown(t, -1) }

// newClusterDown is newCluster with drive down's node stopped before the
// store opens (-1: none).
func newClusterDown(t *testing.T, down int) *cluster {
	t.Helper()
	c := &cluster{t: t, nodes: make([]*driveNode, 4), remotes: make([]storage.Drive, 4), counts: make([]*countingTransport, 4)}
	set := make([]storage.Drive, 4)
	for i := range 4 {
		dir := t.TempDir()
		c.dirs = append(c.dirs, dir)
		if i < 2 {
			d, err := storage.OpenLocalDrive(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Close)
			set[i] = d
			continue
		}
		c.nodes[i] = startNode(t, dir, "")
		c.counts[i] = &countingTransport{RoundTripper: &http.Transport{}}
		c.remotes[i] = Dial("http://"+c.nodes[i].addr, "0", testSecret, Options{Transport: c.counts[i]})
		t.Cleanup(c.remotes[i].Close)
		set[i] = c.remotes[i]
	}
	if down >= 0 {
		c.nodes[down].stop()
	}
	c.cfg = storage.Config{DataDir: t.TempDir(), DriveSet: set, SetID: "set-1", Shared: true, ScrubInterval: -1}
	s, err := storage.Open(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.store = s
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	if err := s.CreateTenant(ctx, "acme", storage.Quota{}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "acme", "bucket", storage.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return b
}

func (c *cluster) put(key string, body []byte) error {
	_, err := c.store.PutObject(context.Background(), "acme", "bucket", key, bytes.NewReader(body), storage.PutOptions{Size: int64(len(body))})
	return err
}

func (c *cluster) mustPut(key string, body []byte) {
	c.t.Helper()
	if err := c.put(key, body); err != nil {
		c.t.Fatalf("put %s: %v", key, err)
	}
}

func (c *cluster) get(key, version string) ([]byte, error) {
	ctx := context.Background()
	var r storage.ObjectReader
	var err error
	if version == "" {
		r, err = c.store.OpenObject(ctx, "acme", "bucket", key)
	} else {
		r, err = c.store.OpenObjectVersion(ctx, "acme", "bucket", key, version)
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }() // read only
	rc, err := r.Range(ctx, 0, r.Info().Size)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }() // read only
	return io.ReadAll(rc)
}

func (c *cluster) mustGet(key, version string, want []byte) {
	c.t.Helper()
	got, err := c.get(key, version)
	if err != nil || !bytes.Equal(got, want) {
		c.t.Fatalf("get %s %s: %d bytes (want %d), %v", key, version, len(got), len(want), err)
	}
}

// driveFiles counts a drive directory's .shard and .meta files.
func driveFiles(t *testing.T, dir string) (shards, metas int) {
	t.Helper()
	dirs, _ := os.ReadDir(filepath.Join(dir, "data"))
	for _, d := range dirs {
		entries, _ := os.ReadDir(filepath.Join(dir, "data", d.Name()))
		for _, e := range entries {
			switch {
			case strings.HasPrefix(e.Name(), "."):
			case strings.HasSuffix(e.Name(), ".shard"):
				shards++
			case strings.HasSuffix(e.Name(), ".meta"):
				metas++
			}
		}
	}
	return shards, metas
}

// packedKeys reports which of keys have a packed record on the drive in dir.
func packedKeys(t *testing.T, dir string, keys []string) map[string]bool {
	t.Helper()
	d, err := storage.OpenLocalDrive(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	found := map[string]bool{}
	segs, _ := d.PackSegments()
	for _, seg := range segs {
		_ = d.ScanPack(seg, func(_ storage.PackLoc, rec []byte) error {
			for _, k := range keys {
				if bytes.Contains(rec, []byte(`"`+k+`"`)) {
					found[k] = true
				}
			}
			return nil
		})
	}
	return found
}

// TestStoreOverRemoteDrives: a store whose set has two drives on other
// nodes stores and reads small (packed) and large (streamed) objects,
// multipart objects and versions, and the remote drives hold their shards.
func TestStoreOverRemoteDrives(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	small, large := randBytes(3000), randBytes(5<<20+12345)
	c.mustPut("small", small)
	c.mustPut("large", large)
	c.mustGet("small", "", small)
	c.mustGet("large", "", large)

	up, err := c.store.CreateMultipartUpload(ctx, "acme", "bucket", "multi", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{randBytes(5 << 20), randBytes(1000)}
	var done []storage.CompletePart
	for i, p := range parts {
		pi, err := c.store.PutPart(ctx, "acme", "bucket", "multi", up, i+1, bytes.NewReader(p), storage.PutOptions{Size: int64(len(p))})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, storage.CompletePart{PartNumber: i + 1, ETag: pi.ETag})
	}
	if _, err := c.store.CompleteMultipartUpload(ctx, "acme", "bucket", "multi", up, done); err != nil {
		t.Fatal(err)
	}
	c.mustGet("multi", "", append(append([]byte(nil), parts[0]...), parts[1]...))

	if err := c.store.SetBucketVersioning(ctx, "acme", "bucket", "Enabled"); err != nil {
		t.Fatal(err)
	}
	v1, v2 := randBytes(200), randBytes(300<<10)
	o1, err := c.store.PutObject(ctx, "acme", "bucket", "ver", bytes.NewReader(v1), storage.PutOptions{Size: int64(len(v1))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.store.PutObject(ctx, "acme", "bucket", "ver", bytes.NewReader(v2), storage.PutOptions{Size: int64(len(v2))}); err != nil {
		t.Fatal(err)
	}
	c.mustGet("ver", "", v2)
	c.mustGet("ver", o1.VersionID, v1)

	// Drive 3 (remote) holds what drive 0 (local) holds: every object
	// above has a shard on every drive.
	s0, m0 := driveFiles(t, c.dirs[0])
	s3, m3 := driveFiles(t, c.dirs[3])
	if s0 == 0 || s0 != s3 || m0 != m3 {
		t.Fatalf("drive 0 has %d shard and %d meta files, remote drive 3 %d and %d", s0, m0, s3, m3)
	}
	if got := packedKeys(t, c.dirs[3], []string{"small", "ver"}); !got["small"] || !got["ver"] {
		t.Fatalf("remote drive 3 holds packed records of %v, want small and ver", got)
	}
	for _, di := range c.store.Drives(ctx) {
		if !di.Online {
			t.Fatalf("drive %d (%s) not online: %+v", di.Index, di.Path, di)
		}
	}
}

// TestStoreRemoteDriveDown: with one remote drive's node stopped, writes
// and reads go on within the quorum without trying the dead node per
// call; when it returns, a scrub pass heals what it missed; when it
// returns wiped, it is formatted into the set and healed fully.
func TestStoreRemoteDriveDown(t *testing.T) {
	c := newCluster(t)
	before := map[string][]byte{"a-small": randBytes(1000), "a-large": randBytes(2<<20 + 7)}
	for k, v := range before {
		c.mustPut(k, v)
	}

	node := c.nodes[3]
	node.stop()
	// The first writes find the node gone and take its drive offline.
	during := map[string][]byte{}
	var smallKeys []string
	for i := range 6 {
		k, v := fmt.Sprintf("down-small-%d", i), randBytes(500+i)
		if i%2 == 1 {
			k, v = fmt.Sprintf("down-large-%d", i), randBytes(1<<20+i)
		} else {
			smallKeys = append(smallKeys, k)
		}
		c.mustPut(k, v)
		during[k] = v
	}
	if !errors.Is(offlineErr(c.remotes[3]), storage.ErrDriveOffline) {
		t.Fatalf("drive 3 not offline after its node stopped: %v", offlineErr(c.remotes[3]))
	}
	// Offline, the drive costs nothing per call: more writes and reads
	// send it no request at all (only the probe pings the node).
	calls := c.counts[3].calls.Load()
	for i := range 10 {
		k, v := fmt.Sprintf("offline-%d", i), randBytes(100+i*(200<<10))
		c.mustPut(k, v)
		during[k] = v
		if len(v) <= 128<<10 {
			smallKeys = append(smallKeys, k)
		}
	}
	for k, v := range before {
		c.mustGet(k, "", v)
	}
	for k, v := range during {
		c.mustGet(k, "", v)
	}
	if got := c.counts[3].calls.Load(); got != calls {
		t.Fatalf("%d requests went to the offline drive's node", got-calls)
	}
	if got := packedKeys(t, c.dirs[3], smallKeys); len(got) != 0 {
		t.Fatalf("drive 3 holds records written while its node was down: %v", got)
	}

	// The node returns: the probe brings the drive back, a scrub pass
	// heals what it missed.
	node = startNode(t, c.dirs[3], node.addr)
	waitFor(t, "drive 3 back online", func() bool { return c.remotes[3].Present() })
	st, err := c.store.Scrub(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.ShardsRepaired == 0 {
		t.Fatalf("scrub repaired nothing: %+v", st)
	}
	c.checkComplete(3, smallKeys)

	// The node returns with its drive wiped (a replaced disk): the scrub
	// pass formats it into the set and heals everything.
	node.stop()
	if err := os.RemoveAll(c.dirs[3]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(c.dirs[3], 0o700); err != nil {
		t.Fatal(err)
	}
	c.nodes[3] = startNode(t, c.dirs[3], node.addr)
	c.rejoin(3)
	c.checkComplete(3, append(smallKeys, "a-small"))
	for k, v := range before {
		c.mustGet(k, "", v)
	}
	for k, v := range during {
		c.mustGet(k, "", v)
	}
}

// checkComplete fails unless drive i holds as many shard and meta files
// as drive 0 and a packed record of every one of keys.
func (c *cluster) checkComplete(i int, keys []string) {
	c.t.Helper()
	s0, m0 := driveFiles(c.t, c.dirs[0])
	si, mi := driveFiles(c.t, c.dirs[i])
	if s0 == 0 || s0 != si || m0 != mi {
		c.t.Fatalf("drive 0 has %d shard and %d meta files, drive %d %d and %d", s0, m0, i, si, mi)
	}
	got := packedKeys(c.t, c.dirs[i], keys)
	for _, k := range keys {
		if !got[k] {
			c.t.Fatalf("drive %d has no packed record of %s", i, k)
		}
	}
}

// offlineErr is the error an offline drive answers at once (nil: online).
func offlineErr(d storage.Drive) error {
	if d.(*remote).offline.Load() {
		_, err := d.ReadFile("00000000000000000000000000000000.meta")
		return err
	}
	return nil
}

// TestStoreOpensWithNodeDown: a store opens while a remote drive's node
// is down (its drive keeps its position, unformatted by this store),
// serves within the quorum, and heals the drive once the node is back.
// The set is new, so the node's empty drive is formatted by the scrub.
func TestStoreOpensWithNodeDown(t *testing.T) {
	c := newClusterDown(t, 2)
	small, large := randBytes(700), randBytes(1<<20+3)
	c.mustPut("small", small)
	c.mustPut("large", large)
	c.mustGet("small", "", small)
	c.mustGet("large", "", large)
	if _, err := os.Stat(filepath.Join(c.dirs[2], "format.json")); !os.IsNotExist(err) {
		t.Fatalf("the down drive was formatted: %v", err)
	}
	c.nodes[2] = startNode(t, c.dirs[2], c.nodes[2].addr)
	c.rejoin(2)
	c.checkComplete(2, []string{"small"})
}

// rejoin waits until drive i's restarted node answers, runs a scrub pass
// and checks the drive holds this set's format at its position.
func (c *cluster) rejoin(i int) {
	c.t.Helper()
	waitFor(c.t, fmt.Sprintf("drive %d back online", i), func() bool { return c.remotes[i].Present() })
	if _, err := c.store.Scrub(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	f, err := c.remotes[i].ReadFormat()
	if err != nil || f.SetID != "set-1" || f.Index != i {
		c.t.Fatalf("drive %d format after scrub: %+v, %v", i, f, err)
	}
}
