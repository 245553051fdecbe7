package driveproto

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Request signing headers (see doc.go, "Authentication").
const (
	hdrDate  = "X-Coffer-Drive-Date"      // Unix milliseconds
	hdrNonce = "X-Coffer-Drive-Nonce"     // 32 lowercase hex digits, random per request
	hdrSig   = "X-Coffer-Drive-Signature" // 64 hex digits: HMAC-SHA256
	sigScope = "COFFER-DRIVE-V1"

	// maxSkew is how far a request's timestamp may be from the server's
	// clock, either way.
	maxSkew = 5 * time.Minute
	// MinSecretLen is the shortest cluster secret NewHandler and Dial
	// accept; the cluster secret file holds 32 random bytes.
	MinSecretLen = 16
)

var errAuth = errors.New("driveproto: request not authenticated")

// stringToSign is what a request's signature covers: method, escaped
// path, raw query (exactly as sent), timestamp and nonce. Bodies are not
// covered (they stream); their bytes are checked by checksums.
func stringToSign(method, path, rawQuery, date, nonce string) []byte {
	b := make([]byte, 0, len(sigScope)+len(method)+len(path)+len(rawQuery)+len(date)+len(nonce)+5)
	for i, s := range []string{sigScope, method, path, rawQuery, date, nonce} {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, s...)
	}
	return b
}

func mac(secret, msg []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(msg)
	return m.Sum(nil)
}

// sign adds the signing headers to req.
func sign(req *http.Request, secret []byte, now time.Time) {
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	date := strconv.FormatInt(now.UnixMilli(), 10)
	nonce := hex.EncodeToString(n[:])
	sig := mac(secret, stringToSign(req.Method, req.URL.EscapedPath(), req.URL.RawQuery, date, nonce))
	req.Header.Set(hdrDate, date)
	req.Header.Set(hdrNonce, nonce)
	req.Header.Set(hdrSig, hex.EncodeToString(sig))
}

// verifier checks request signatures and refuses replays.
type verifier struct {
	secret []byte
	nonces *nonceCache
}

// verify checks r's signature, timestamp and nonce. Nothing is
// remembered unless the signature is valid, so unauthenticated requests
// cannot fill the nonce cache.
func (v *verifier) verify(r *http.Request, now time.Time) error {
	if len(v.secret) < MinSecretLen {
		return errAuth
	}
	date, nonce, sigHex := r.Header.Get(hdrDate), r.Header.Get(hdrNonce), r.Header.Get(hdrSig)
	if len(date) == 0 || len(date) > 19 || len(nonce) != 32 || len(sigHex) != 64 {
		return errAuth
	}
	ms, err := strconv.ParseInt(date, 10, 64)
	if err != nil || ms < 0 {
		return errAuth
	}
	t := time.UnixMilli(ms)
	if t.Before(now.Add(-maxSkew)) || t.After(now.Add(maxSkew)) {
		return errAuth
	}
	if !isLowerHex(nonce) {
		return errAuth
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		return errAuth
	}
	want := mac(v.secret, stringToSign(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, date, nonce))
	if !hmac.Equal(sig, want) {
		return errAuth
	}
	if !v.nonces.add(nonce, ms, now) {
		return errAuth
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// nonceCache remembers the nonces of accepted requests. It is bounded:
// when full, the oldest entry (by arrival) is forgotten and the horizon
// moves up to its timestamp; a request stamped at or before the horizon
// is refused, so a forgotten nonce can never be replayed. Under load the
// horizon nears the present and a peer's clock must be closer to ours.
type nonceCache struct {
	mu      sync.Mutex
	seen    map[string]int64 // nonce -> timestamp (ms)
	ring    []string         // nonces in arrival order, from head, len(seen) of them
	head    int
	horizon int64 // ms: requests stamped at or before it are refused
}

// nonceCapacity bounds the cache (about 100 bytes an entry).
const nonceCapacity = 1 << 17

func newNonceCache(capacity int) *nonceCache {
	return &nonceCache{seen: make(map[string]int64), ring: make([]string, capacity)}
}

// add records nonce and reports whether it is new and stamped after the
// horizon.
func (c *nonceCache) add(nonce string, ms int64, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Entries past the skew window need not be kept: their timestamps
	// are refused anyway.
	c.horizon = max(c.horizon, now.Add(-maxSkew).UnixMilli())
	for len(c.seen) > 0 && c.seen[c.ring[c.head]] <= c.horizon {
		c.evictOldest()
	}
	if ms <= c.horizon {
		return false
	}
	if _, ok := c.seen[nonce]; ok {
		return false
	}
	if len(c.seen) == len(c.ring) {
		c.horizon = max(c.horizon, c.seen[c.ring[c.head]])
		c.evictOldest()
		if ms <= c.horizon {
			return false
		}
	}
	c.ring[(c.head+len(c.seen))%len(c.ring)] = nonce
	c.seen[nonce] = ms
	return true
}

// evictOldest drops the oldest entry; the cache must not be empty.
func (c *nonceCache) evictOldest() {
	delete(c.seen, c.ring[c.head])
	c.ring[c.head] = ""
	c.head = (c.head + 1) % len(c.ring)
}
