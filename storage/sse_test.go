package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/cofferstore/coffer/pkg/sse"
)

func testMasterKey(t testing.TB, b byte) *sse.MasterKey {
	t.Helper()
	k, err := sse.NewMasterKey(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func withKeys(keys ...*sse.MasterKey) func(*Config) {
	return func(c *Config) { c.Keys = StaticKeys(keys...) }
}

func testCustomerKey(t testing.TB, b byte) *sse.CustomerKey {
	t.Helper()
	ck, ok := sse.NewCustomerKey(bytes.Repeat([]byte{b}, 32))
	if !ok {
		t.Fatal("customer key")
	}
	return ck
}

func (ts *testStore) putSSE(key string, data []byte, e Encryption) ObjectInfo {
	ts.t.Helper()
	info, err := ts.PutObject(context.Background(), "acme", "bkt", key, bytes.NewReader(data),
		PutOptions{Size: int64(len(data)), Encryption: e})
	if err != nil {
		ts.t.Fatalf("PutObject(%q, %d bytes, %s): %v", key, len(data), e.Mode, err)
	}
	return info
}

// readSSE reads [off, off+n) of key with ck (nil: none).
func (ts *testStore) readSSE(key string, ck *sse.CustomerKey, off, n int64) ([]byte, error) {
	return readObjectWith(ts.Store, key, ck, off, n)
}

// sseSizes are plaintext sizes around chunk, inline and block limits.
var sseSizes = []int{0, 1, 65535, 65536, 65537, inlineMax - 40, inlineMax, inlineMax + 1, 3*65536*3 + 5}

// An SSE-S3 object reads back whole and in ranges at chunk boundaries,
// reports its plaintext size, MD5 ETag and checksum, and reads after a
// reopen; usage counts plaintext bytes.
func TestSSES3RoundTrip(t *testing.T) {
	ts := newTestStore(t, 4, withKeys(testMasterKey(t, 1)))
	objs := map[string][]byte{}
	var total int64
	for i, n := range sseSizes {
		k := fmt.Sprintf("o%d", i)
		data := randBytes(uint64(i+1), n)
		info := ts.putSSE(k, data, Encryption{Mode: SSES3})
		if info.Size != int64(n) || info.ETag != md5hex(data) || info.Encryption != SSES3 {
			t.Fatalf("%s: info %d %s %q, want %d %s SSE-S3", k, info.Size, info.ETag, info.Encryption, n, md5hex(data))
		}
		objs[k] = data
		total += int64(n)
	}
	check := func() {
		for i, n := range sseSizes {
			k := fmt.Sprintf("o%d", i)
			got, err := ts.readSSE(k, nil, 0, -1)
			if err != nil || !bytes.Equal(got, objs[k]) {
				t.Fatalf("%s (%d bytes): read %d bytes, %v", k, n, len(got), err)
			}
			for _, off := range []int{0, 1, 65535, 65536, 65537, 131071, 131072, n - 1, n - 65536} {
				for _, l := range []int{1, 2, 65536, 65537} {
					if off < 0 || off+l > n {
						continue
					}
					got, err := ts.readSSE(k, nil, int64(off), int64(l))
					if err != nil || !bytes.Equal(got, objs[k][off:off+l]) {
						t.Fatalf("%s: range %d+%d: %d bytes, %v", k, off, l, len(got), err)
					}
				}
			}
		}
	}
	check()
	ts.reopen()
	check()
	u, err := ts.TenantUsage(context.Background(), "acme")
	must(t, err)
	if u.Bytes != total {
		t.Fatalf("usage %d bytes, want the plaintext's %d", u.Bytes, total)
	}
	info, err := ts.GetObjectInfo(context.Background(), "acme", "bkt", "o0")
	must(t, err)
	if info.Encryption != SSES3 {
		t.Fatalf("GetObjectInfo encryption %q", info.Encryption)
	}
}

// Without a master key SSE-S3 writes fail and nothing is written in clear.
func TestSSES3NoMasterKey(t *testing.T) {
	ts := newTestStore(t, 4)
	_, err := ts.PutObject(context.Background(), "acme", "bkt", "k", bytes.NewReader([]byte("x")),
		PutOptions{Size: 1, Encryption: Encryption{Mode: SSES3}})
	if !errors.Is(err, ErrSSENoMasterKey) {
		t.Fatalf("got %v, want ErrSSENoMasterKey", err)
	}
	if _, err := ts.GetObjectInfo(context.Background(), "acme", "bkt", "k"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("object exists after a failed SSE write: %v", err)
	}
}

// sseMultipart uploads parts of sizes with e (every part carrying ck) and
// completes them.
func (ts *testStore) sseMultipart(key string, e Encryption, sizes ...int) []byte {
	ts.t.Helper()
	ctx := context.Background()
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", key, PutOptions{Encryption: e})
	must(ts.t, err)
	var all []byte
	var cps []CompletePart
	for i, n := range sizes {
		p := randBytes(uint64(50+i), n)
		pi, err := ts.PutPart(ctx, "acme", "bkt", key, id, i+1, bytes.NewReader(p),
			PutOptions{Size: int64(n), Encryption: Encryption{CustomerKey: e.CustomerKey}})
		must(ts.t, err)
		if pi.Size != int64(n) || pi.ETag != md5hex(p) {
			ts.t.Fatalf("part %d: %d bytes %s", i+1, pi.Size, pi.ETag)
		}
		cps = append(cps, CompletePart{PartNumber: i + 1, ETag: pi.ETag})
		all = append(all, p...)
	}
	info, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", key, id, cps)
	must(ts.t, err)
	if info.Size != int64(len(all)) || info.Encryption != e.Mode {
		ts.t.Fatalf("complete: %d bytes %q", info.Size, info.Encryption)
	}
	return all
}

// Multipart SSE-S3 and SSE-C objects read across part boundaries; SSE-C
// needs its key for every part and every read.
func TestSSEMultipart(t *testing.T) {
	ts := newTestStore(t, 4, withKeys(testMasterKey(t, 1)))
	ck := testCustomerKey(t, 7)
	for _, e := range []Encryption{{Mode: SSES3}, {Mode: SSEC, CustomerKey: ck}} {
		key := "mp-" + string(e.Mode)
		want := ts.sseMultipart(key, e, MinPartSize, MinPartSize+65537, 70000)
		got, err := ts.readSSE(key, e.CustomerKey, 0, -1)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: read %d bytes, %v", key, len(got), err)
		}
		for _, off := range []int{MinPartSize - 1, MinPartSize - 65536, MinPartSize, 2*MinPartSize + 65537 - 1, len(want) - 1} {
			l := min(200000, len(want)-off)
			got, err := ts.readSSE(key, e.CustomerKey, int64(off), int64(l))
			if err != nil || !bytes.Equal(got, want[off:off+l]) {
				t.Fatalf("%s: range %d+%d: %d bytes, %v", key, off, l, len(got), err)
			}
		}
		info, err := ts.GetObjectInfo(context.Background(), "acme", "bkt", key)
		must(t, err)
		if len(info.Parts) != 3 || info.Parts[1].Size != MinPartSize+65537 {
			t.Fatalf("%s: parts %+v", key, info.Parts)
		}
	}
	// An SSE-C upload's parts need its key.
	ctx := context.Background()
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "c", PutOptions{Encryption: Encryption{Mode: SSEC, CustomerKey: ck}})
	must(t, err)
	for _, c := range []struct {
		ck   *sse.CustomerKey
		want error
	}{{nil, ErrSSEKeyRequired}, {testCustomerKey(t, 8), ErrSSEKeyMismatch}} {
		_, err := ts.PutPart(ctx, "acme", "bkt", "c", id, 1, bytes.NewReader([]byte("x")),
			PutOptions{Size: 1, Encryption: Encryption{CustomerKey: c.ck}})
		if !errors.Is(err, c.want) {
			t.Fatalf("PutPart: %v, want %v", err, c.want)
		}
	}
}

// SSE-C reads need the object's key: none, a wrong one, or a key for an
// object that is not SSE-C fail with their sentinels.
func TestSSECKeys(t *testing.T) {
	ts := newTestStore(t, 4, withKeys(testMasterKey(t, 1)))
	ck := testCustomerKey(t, 3)
	for _, n := range []int{10, 300000} {
		data := randBytes(9, n)
		info := ts.putSSE("c", data, Encryption{Mode: SSEC, CustomerKey: ck})
		if info.Encryption != SSEC || info.ETag != md5hex(data) {
			t.Fatalf("info %+v", info)
		}
		if _, err := ts.readSSE("c", nil, 0, -1); !errors.Is(err, ErrSSEKeyRequired) {
			t.Fatalf("no key: %v", err)
		}
		if _, err := ts.readSSE("c", testCustomerKey(t, 4), 0, -1); !errors.Is(err, ErrSSEKeyMismatch) {
			t.Fatalf("wrong key: %v", err)
		}
		off := int64(min(65530, n-5))
		got, err := ts.readSSE("c", ck, off, 5)
		if err != nil || !bytes.Equal(got, data[off:off+5]) {
			t.Fatalf("right key: %q, %v", got, err)
		}
	}
	ts.putSSE("s3", []byte("hello"), Encryption{Mode: SSES3})
	ts.put("plain", []byte("hello"))
	for _, k := range []string{"s3", "plain"} {
		if _, err := ts.readSSE(k, ck, 0, -1); !errors.Is(err, ErrSSENotCustomer) {
			t.Fatalf("%s with a customer key: %v", k, err)
		}
	}
}

// Heal repairs an encrypted object's ciphertext without any key: a store
// opened without master keys scrubs back a wiped drive, and the objects
// then read back with the key.
func TestSSEHealWithoutKey(t *testing.T) {
	key := testMasterKey(t, 1)
	ts := newTestStore(t, 4, withKeys(key))
	ck := testCustomerKey(t, 5)
	objs := map[string][]byte{}
	for i, n := range []int{100, inlineMax + 1, 300000} {
		objs[fmt.Sprintf("s3-%d", i)] = randBytes(uint64(i), n)
		ts.putSSE(fmt.Sprintf("s3-%d", i), objs[fmt.Sprintf("s3-%d", i)], Encryption{Mode: SSES3})
	}
	objs["c"] = randBytes(77, 200000)
	ts.putSSE("c", objs["c"], Encryption{Mode: SSEC, CustomerKey: ck})
	objs["mp"] = ts.sseMultipart("mp", Encryption{Mode: SSES3}, MinPartSize, 1000)
	orig := snapshot(t, ts)

	ts.cfg.Keys = nil
	ts.reopen()
	must(t, os.RemoveAll(ts.drives[1]))
	must(t, os.Mkdir(ts.drives[1], 0o755))
	st, err := ts.Scrub(context.Background())
	must(t, err)
	if st.ShardsRepaired == 0 {
		t.Fatalf("scrub repaired nothing: %+v", st)
	}
	sameShards(t, orig, snapshot(t, ts))
	if _, err := ts.readSSE("s3-0", nil, 0, -1); !errors.Is(err, ErrSSENoMasterKey) {
		t.Fatalf("read without master key: %v", err)
	}

	ts.cfg.Keys = StaticKeys(key)
	ts.reopen()
	for k, want := range objs {
		var c *sse.CustomerKey
		if k == "c" {
			c = ck
		}
		got, err := ts.readSSE(k, c, 0, -1)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s after heal: %d bytes, %v", k, len(got), err)
		}
	}
}

// No 32-byte window of an encrypted object's plaintext is anywhere on the
// drives: shard files, .meta files and pack logs hold ciphertext only.
func TestSSENoPlaintextOnDisk(t *testing.T) {
	ts := newTestStore(t, 4, withKeys(testMasterKey(t, 1)))
	const w = 32
	windows := map[string]bool{}
	objs := map[string][]byte{
		"small":  bytes.Repeat([]byte("a small secret packed record. "), 40), // packed
		"inline": randBytes(3, 100000),
		"large":  randBytes(4, 700000),
	}
	for k, data := range objs {
		ts.putSSE(k, data, Encryption{Mode: SSES3})
		for i := 0; i+w <= len(data); i++ {
			windows[string(data[i:i+w])] = true
		}
	}
	mp := ts.sseMultipart("mp", Encryption{Mode: SSES3}, MinPartSize, 5000)
	for i := 0; i+w <= len(mp); i += 7 { // a sample: the map would be large
		windows[string(mp[i:i+w])] = true
	}
	// Control: the same scan finds an unencrypted object's plaintext.
	plain := randBytes(99, 5000)
	ts.put("plain", plain)
	var files, found, control int
	for _, d := range ts.drives {
		err := filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			for i := 0; i+w <= len(b); i++ {
				if windows[string(b[i:i+w])] {
					found++
				}
			}
			if bytes.Contains(b, plain[1000:1000+w]) {
				control++
			}
			return nil
		})
		must(t, err)
	}
	if files == 0 || control == 0 {
		t.Fatalf("scan saw %d files, found the unencrypted control in %d", files, control)
	}
	if found != 0 {
		t.Fatalf("%d plaintext windows found on the drives", found)
	}
}

// A write that asks for no encryption is SSE-S3 in a bucket with a
// default encryption document, and everywhere under Config.SSEDefault;
// SSE-C asked for stays SSE-C.
func TestSSEDefaults(t *testing.T) {
	ctx := context.Background()
	ts := newTestStore(t, 4, withKeys(testMasterKey(t, 1)))
	ck := testCustomerKey(t, 2)
	ts.put("before", []byte("x"))
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigEncryption, []byte("<doc/>")))
	ts.put("after", []byte("x"))
	ts.putSSE("customer", []byte("x"), Encryption{Mode: SSEC, CustomerKey: ck})
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "mp", PutOptions{})
	must(t, err)
	for k, want := range map[string]SSEMode{"before": SSENone, "after": SSES3, "customer": SSEC} {
		info, err := ts.GetObjectInfo(ctx, "acme", "bkt", k)
		if err != nil || info.Encryption != want {
			t.Fatalf("%s: %v %q, want %q", k, err, info.Encryption, want)
		}
	}
	lp, err := ts.ListParts(ctx, "acme", "bkt", "mp", id, ListPartsOptions{})
	if err != nil || lp.Upload.Encryption != SSES3 {
		t.Fatalf("upload: %v %q", err, lp.Upload.Encryption)
	}
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigEncryption, nil))
	if info := ts.put("later", []byte("x")); info.Encryption != SSENone {
		t.Fatalf("after the document went: %q", info.Encryption)
	}

	all := newTestStore(t, 4, withKeys(testMasterKey(t, 1)), func(c *Config) { c.SSEDefault = true })
	if info := all.put("k", []byte("x")); info.Encryption != SSES3 {
		t.Fatalf("SSEDefault: %q", info.Encryption)
	}
}

// RebuildIndex restores encrypted objects and an encrypted upload (its
// record travels with each part), which then completes and reads back.
func TestSSERebuildIndex(t *testing.T) {
	ctx := context.Background()
	ts := newTestStore(t, 4, withKeys(testMasterKey(t, 1)))
	ck := testCustomerKey(t, 3)
	small, large := randBytes(1, 1000), randBytes(2, 300000)
	ts.putSSE("small", small, Encryption{Mode: SSES3})
	ts.putSSE("large", large, Encryption{Mode: SSEC, CustomerKey: ck})
	mp := ts.sseMultipart("mp", Encryption{Mode: SSES3}, MinPartSize, 777)
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "pending", PutOptions{Encryption: Encryption{Mode: SSEC, CustomerKey: ck}})
	must(t, err)
	part := randBytes(3, 70000)
	pi, err := ts.PutPart(ctx, "acme", "bkt", "pending", id, 1, bytes.NewReader(part), PutOptions{Size: int64(len(part)), Encryption: Encryption{CustomerKey: ck}})
	must(t, err)

	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	if st, err := ts.RebuildIndex(ctx); err != nil || st.Errors != 0 {
		t.Fatalf("RebuildIndex: %+v, %v", st, err)
	}
	for k, c := range map[string]struct {
		ck   *sse.CustomerKey
		want []byte
	}{"small": {nil, small}, "large": {ck, large}, "mp": {nil, mp}} {
		got, err := ts.readSSE(k, c.ck, 0, -1)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Fatalf("%s after rebuild: %d bytes, %v", k, len(got), err)
		}
	}
	info, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "pending", id, []CompletePart{{PartNumber: 1, ETag: pi.ETag}})
	if err != nil || info.Encryption != SSEC {
		t.Fatalf("complete after rebuild: %v %q", err, info.Encryption)
	}
	got, err := ts.readSSE("pending", ck, 0, -1)
	if err != nil || !bytes.Equal(got, part) {
		t.Fatalf("completed after rebuild: %d bytes, %v", len(got), err)
	}
}
