package driveproto

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// signedRequest is a request to url signed with secret at now.
func signedRequest(t *testing.T, method, u string, body []byte, secret []byte, now time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set(hdrSum, sumHex(body))
	}
	sign(req, secret, now)
	return req
}

func send(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // read below
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestAuthRefusals: requests unsigned, signed with another secret,
// stamped too old or too new, altered after signing, or replayed get 403
// and touch nothing: the file they would remove stays, its bytes do not
// leak, no temporary file appears.
func TestAuthRefusals(t *testing.T) {
	p := newPair(t, Options{})
	name := "00cc0000000000000000000000000001.meta"
	content := []byte("secret-looking content")
	writeFile(t, p.local, name, content, false)
	path := filepath.Join(p.dir, "data", "00", name)
	base := p.srv.URL + PathPrefix + "0/"
	removeBody := marshal([]string{name})
	now := time.Now()

	unsigned, _ := http.NewRequest(http.MethodPost, base+opRemove, bytes.NewReader(removeBody))
	forged := signedRequest(t, http.MethodPost, base+opRemove, removeBody, []byte("another secret of 32 bytes......"), now)
	old := signedRequest(t, http.MethodPost, base+opRemove, removeBody, testSecret, now.Add(-6*time.Minute))
	future := signedRequest(t, http.MethodPost, base+opRemove, removeBody, testSecret, now.Add(6*time.Minute))
	read := signedRequest(t, http.MethodGet, base+opFile+"?name="+name, nil, testSecret, now)
	read.URL.RawQuery = "name=00cc0000000000000000000000000002.meta" // altered after signing
	badSig := signedRequest(t, http.MethodGet, base+opFile+"?name="+name, nil, testSecret, now)
	sig, _ := hex.DecodeString(badSig.Header.Get(hdrSig))
	sig[0] ^= 1
	badSig.Header.Set(hdrSig, hex.EncodeToString(sig))
	create := signedRequest(t, http.MethodPost, base+opCreate+"?name=00cc0000000000000000000000000003.meta&token="+newToken(), []byte("x"), testSecret, now)
	create.Header.Set(hdrDate, strconv.FormatInt(now.Add(time.Second).UnixMilli(), 10)) // not what was signed

	for what, req := range map[string]*http.Request{
		"unsigned": unsigned, "another secret": forged, "6 minutes old": old, "6 minutes ahead": future,
		"query altered": read, "signature altered": badSig, "date altered": create,
	} {
		code, body := send(t, req)
		if code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", what, code)
		}
		if bytes.Contains(body, content) {
			t.Errorf("%s: the response carries the file", what)
		}
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, content) {
		t.Fatalf("file after refused requests: %q, %v", b, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("data directory after refused requests holds %d entries, want 1", len(entries))
	}

	// A replay: the same signed request twice. The first removes the
	// file; after it is written again, the replay is refused.
	req := signedRequest(t, http.MethodPost, base+opRemove, removeBody, testSecret, time.Now())
	replay := req.Clone(req.Context())
	replay.Body = io.NopCloser(bytes.NewReader(removeBody))
	if code, body := send(t, req); code != http.StatusOK {
		t.Fatalf("signed remove: status %d %s", code, body)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("signed remove left the file: %v", err)
	}
	writeFile(t, p.local, name, content, false)
	if code, _ := send(t, replay); code != http.StatusForbidden {
		t.Fatalf("replayed remove: status %d, want 403", code)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, content) {
		t.Fatalf("file after a replayed remove: %q, %v", b, err)
	}

	// A handler with a short secret refuses even requests signed with it.
	short := httptest.NewServer(NewHandler(map[string]storage.Drive{"0": p.local}, []byte("short"), nil))
	defer short.Close()
	if code, _ := send(t, signedRequest(t, http.MethodGet, short.URL+PathPrefix+"0/"+opPing, nil, []byte("short"), time.Now())); code != http.StatusForbidden {
		t.Fatalf("short secret: status %d, want 403", code)
	}
}

// TestNonceCacheBound: a full cache forgets its oldest nonces but refuses
// requests stamped no later than them, so none can be replayed.
func TestNonceCacheBound(t *testing.T) {
	c := newNonceCache(4)
	now := time.Now()
	ms := now.UnixMilli()
	for i := range 4 {
		if !c.add(strconv.Itoa(i), ms-int64(10-i), now) {
			t.Fatalf("nonce %d refused", i)
		}
	}
	if c.add("2", ms, now) {
		t.Fatal("a remembered nonce was accepted again")
	}
	if !c.add("4", ms, now) { // evicts "0", stamped ms-10
		t.Fatal("a new nonce refused when the cache is full")
	}
	if c.add("0", ms-10, now) {
		t.Fatal("the forgotten nonce was replayed")
	}
	if c.add("fresh-but-old", ms-10, now) {
		t.Fatal("a nonce stamped at the horizon was accepted")
	}
	if !c.add("5", ms-5, now) {
		t.Fatal("a nonce stamped after the horizon was refused")
	}
	if len(c.seen) > 4 {
		t.Fatalf("cache holds %d nonces, capacity 4", len(c.seen))
	}
	if !c.add("late", now.Add(maxSkew+time.Minute).UnixMilli(), now.Add(maxSkew+time.Minute)) || len(c.seen) != 1 {
		t.Fatalf("expired nonces kept: %d", len(c.seen))
	}
}

// untouchable is a drive every method of which fails the fuzz target.
type untouchable struct{}

func touched() { panic("driveproto: an unauthenticated request reached a drive") }

func (untouchable) Path() string  { touched(); return "" }
func (untouchable) Present() bool { touched(); return false }
func (untouchable) ReadFormat() (storage.DriveFormat, error) {
	touched()
	return storage.DriveFormat{}, nil
}
func (untouchable) Format(storage.DriveFormat) error             { touched(); return nil }
func (untouchable) Create(string) (storage.TempFile, error)      { touched(); return nil, nil }
func (untouchable) CreateShard(string) (storage.TempFile, error) { touched(); return nil, nil }
func (untouchable) SyncDir(string) error                         { touched(); return nil }
func (untouchable) Open(string) (storage.ShardFile, error)       { touched(); return nil, nil }
func (untouchable) ReadFile(string) ([]byte, error)              { touched(); return nil, nil }
func (untouchable) Remove(...string) error                       { touched(); return nil }
func (untouchable) Walk(func(string, time.Time) error) error     { touched(); return nil }
func (untouchable) CleanTemp(time.Duration) (int, error)         { touched(); return 0, nil }
func (untouchable) Usage() (uint64, uint64, error)               { touched(); return 0, 0, nil }
func (untouchable) Append([]byte) (storage.PackLoc, error)       { touched(); return storage.PackLoc{}, nil }
func (untouchable) ReadPacked(storage.PackLoc) ([]byte, error)   { touched(); return nil, nil }
func (untouchable) PackSegments() ([]uint32, error)              { touched(); return nil, nil }
func (untouchable) ActivePack() uint32                           { touched(); return 0 }
func (untouchable) PackSize(uint32) int64                        { touched(); return 0 }
func (untouchable) RemovePack(uint32) error                      { touched(); return nil }
func (untouchable) Close()                                       { touched() }
func (untouchable) ScanPack(uint32, func(storage.PackLoc, []byte) error) error {
	touched()
	return nil
}

// FuzzHandlerRequest: whatever method, path, query, signing headers and
// body a request carries, without the secret it gets 403 and reaches no
// drive (untouchable panics); parsing never panics or hangs.
func FuzzHandlerRequest(f *testing.F) {
	now := time.Now()
	f.Add("GET", "/internal/drive/0/ping", "", strconv.FormatInt(now.UnixMilli(), 10), newToken(), "00", []byte(nil))
	f.Add("POST", "/internal/drive/0/remove", "name=x", "1", "zz", "", []byte(`["a.meta"]`))
	f.Add("PUT", "/internal/drive/0/format", "a=%zz&b", "-5", newToken(), hex.EncodeToString(make([]byte, 32)), []byte("{}"))
	f.Add("GET", "/internal/drive//..//", "name=../../etc", "99999999999999999999", "", "", []byte{0})
	h := NewHandler(map[string]storage.Drive{"0": untouchable{}}, testSecret, nil)
	f.Fuzz(func(t *testing.T, method, path, query, date, nonce, sig string, body []byte) {
		req := &http.Request{
			Method: method, URL: &url.URL{Path: path, RawQuery: query}, Header: http.Header{},
			Body: io.NopCloser(bytes.NewReader(body)), RemoteAddr: "127.0.0.1:1",
		}
		req.Header.Set(hdrDate, date)
		req.Header.Set(hdrNonce, nonce)
		req.Header.Set(hdrSig, sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Fatalf("status %d for an unsigned request", rec.Code)
		}
		if drive, op, ok := parsePath(path); ok && (drive == "" || len(drive) > 8 || bytes.ContainsRune([]byte(op), '/')) {
			t.Fatalf("parsePath(%q) = %q, %q", path, drive, op)
		}
	})
}

// FuzzReadFrame: stream frames from a peer never panic, never allocate
// past maxFrame, and a frame that passes carries the checksum it claims.
func FuzzReadFrame(f *testing.F) {
	f.Add(appendFrame(nil, frameData, []byte("page")))
	f.Add(appendFrame(appendFrame(nil, frameError, []byte(`{"kind":"other"}`)), frameEnd, nil))
	f.Add([]byte{frameData, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for range 64 {
			typ, payload, err := readFrame(r, nil)
			if err != nil {
				return
			}
			if len(payload) > maxFrame {
				t.Fatalf("frame of %d bytes", len(payload))
			}
			if got := appendFrame(nil, typ, payload); !bytes.Contains(b, got) {
				t.Fatal("accepted a frame that does not re-encode to its bytes")
			}
		}
	})
}
