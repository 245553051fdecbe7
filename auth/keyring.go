package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cofferstore/coffer/pkg/sse"
)

// maxRingKeys bounds the keys a key ring file may hold: the current one and
// a few still being retired. A rotation adds one and retires the rest.
const maxRingKeys = 8

// KeyRing is the server's master keys: the current one, which seals new
// tenant secrets and new SSE-S3 data keys, then older ones that something
// may still be sealed under until a rotation re-sealed it all. It is safe
// for concurrent use and implements storage.KeyRing.
//
// On disk it is the master key file: one key as 64 hex digits per line,
// the current key first. A file of one key (32 raw bytes or 64 hex digits,
// the format of LoadOrCreateMasterKey) is a ring of one, and a ring of one
// is written in a form earlier versions read. Every change replaces the
// file atomically (new file, fsync, rename, directory fsync), so a crash
// leaves either the old ring or the new one.
type KeyRing struct {
	path string // "" = in memory only (NewKeyRing): it cannot rotate

	// mu serialises changes; keys is replaced, never modified, so readers
	// take a snapshot under the read lock.
	mu   sync.RWMutex
	keys []*ringKey // current first
}

// ringKey is one master key and everything derived from it.
type ringKey struct {
	secret []byte
	sse    *sse.MasterKey
	// seal seals tenant secrets recorded with this key's id: an AES key
	// derived under its own label, so no two uses share an AES key.
	seal cipher.AEAD
	// legacy is AES-GCM under the secret itself, which sealed the tenant
	// secrets written before key ids (records without "kid").
	legacy cipher.AEAD
}

// ID is the key's fingerprint (sse.MasterKey.ID): 16 hex digits that
// reveal nothing of the key.
func (k *ringKey) ID() string { return k.sse.ID() }

func newRingKey(secret []byte) (*ringKey, error) {
	if len(secret) != MasterKeySize {
		return nil, fmt.Errorf("auth: master key must be %d bytes", MasterKeySize)
	}
	mk, err := sse.NewMasterKey(secret)
	if err != nil {
		return nil, err
	}
	sealKey, err := hkdf.Key(sha256.New, secret, nil, "coffer-auth/v1/secret-seal", 32)
	if err != nil {
		return nil, err
	}
	seal, err := newGCM(sealKey)
	if err != nil {
		return nil, err
	}
	legacy, err := newGCM(secret)
	if err != nil {
		return nil, err
	}
	return &ringKey{secret: bytes.Clone(secret), sse: mk, seal: seal, legacy: legacy}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// NewKeyRing makes an in-memory ring of the given 32-byte secrets, the
// first current. It cannot rotate (there is no file to record a new key in).
func NewKeyRing(secrets ...[]byte) (*KeyRing, error) {
	if len(secrets) == 0 {
		return nil, errors.New("auth: a key ring needs a key")
	}
	keys := make([]*ringKey, 0, len(secrets))
	for _, s := range secrets {
		k, err := newRingKey(s)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return &KeyRing{keys: keys}, nil
}

// LoadKeyRing reads the master key file at path, creating it with one new
// random key (as LoadOrCreateMasterKey does) when absent.
func LoadKeyRing(path string) (*KeyRing, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := LoadOrCreateMasterKey(path); err != nil {
			return nil, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read master key: %w", err)
	}
	secrets, err := parseKeyRing(path, data)
	if err != nil {
		return nil, err
	}
	r, err := NewKeyRing(secrets...)
	if err != nil {
		return nil, err
	}
	r.path = path
	return r, nil
}

// parseKeyRing accepts the one-key formats of parseMasterKey and lines of
// 64 hex digits (current first, at most maxRingKeys, no repeats).
func parseKeyRing(path string, data []byte) ([][]byte, error) {
	if key, err := parseMasterKey(path, data); err == nil {
		return [][]byte{key}, nil
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(lines) > maxRingKeys {
		return nil, fmt.Errorf("auth: master key file %s holds more than %d keys", path, maxRingKeys)
	}
	var keys [][]byte
	for i, line := range lines {
		line = bytes.TrimSpace(line)
		key := make([]byte, MasterKeySize)
		if n, err := hex.Decode(key, line); err != nil || n != MasterKeySize || len(line) != 2*MasterKeySize {
			return nil, fmt.Errorf("auth: master key file %s: line %d is not a key of %d hex digits", path, i+1, 2*MasterKeySize)
		}
		if slices.ContainsFunc(keys, func(k []byte) bool { return bytes.Equal(k, key) }) {
			return nil, fmt.Errorf("auth: master key file %s: line %d repeats a key", path, i+1)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

func (r *KeyRing) snapshot() []*ringKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys
}

func (r *KeyRing) current() *ringKey { return r.snapshot()[0] }

// byID finds a key of the ring; nil when it is not (or no longer) there.
func (r *KeyRing) byID(id string) *ringKey {
	for _, k := range r.snapshot() {
		if k.ID() == id {
			return k
		}
	}
	return nil
}

// Current is the SSE master key that seals new data keys.
func (r *KeyRing) Current() *sse.MasterKey { return r.current().sse }

// All is every SSE master key of the ring, the current one first.
func (r *KeyRing) All() []*sse.MasterKey {
	keys := r.snapshot()
	out := make([]*sse.MasterKey, len(keys))
	for i, k := range keys {
		out[i] = k.sse
	}
	return out
}

// IDs are the ids of the ring's keys, the current one first.
func (r *KeyRing) IDs() []string {
	keys := r.snapshot()
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID()
	}
	return ids
}

// Path is the master key file ("" for an in-memory ring).
func (r *KeyRing) Path() string { return r.path }

// ErrKeyRingInMemory is returned when a ring without a file is asked to
// rotate.
var ErrKeyRingInMemory = errors.New("auth: the key ring has no file to record a new key in")

// ErrKeyRingFull is returned by AddKey when the ring already holds
// maxRingKeys keys (earlier rotations never finished retiring theirs).
var ErrKeyRingFull = errors.New("auth: the key ring is full; finish the running rotation first")

// AddKey makes a new random key the current one, keeping every other key,
// and returns its id. The new ring is durable in the file before the key
// is used for anything.
func (r *KeyRing) AddKey() (string, error) {
	secret := make([]byte, MasterKeySize)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	k, err := newRingKey(secret)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.keys) >= maxRingKeys {
		return "", ErrKeyRingFull
	}
	keys := append([]*ringKey{k}, r.keys...)
	if err := r.write(keys); err != nil {
		return "", err
	}
	r.keys = keys
	return k.ID(), nil
}

// Retire drops every key but the current one, from the file first. Call it
// only when nothing is sealed under them any more.
func (r *KeyRing) Retire() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.keys) == 1 {
		return nil
	}
	keys := r.keys[:1:1]
	if err := r.write(keys); err != nil {
		return err
	}
	r.keys = keys
	return nil
}

// write replaces the ring's file with keys: a new file beside it (0600,
// synced), renamed over it, and the directory synced, so a crash leaves
// the old file or the new one, never a mix.
func (r *KeyRing) write(keys []*ringKey) error {
	if r.path == "" {
		return ErrKeyRingInMemory
	}
	var buf bytes.Buffer
	for _, k := range keys {
		buf.WriteString(hex.EncodeToString(k.secret))
		buf.WriteByte('\n')
	}
	tmp := r.path + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("auth: master key file: %w", err)
	}
	if err := CreateSecretFile(tmp, buf.Bytes()); err != nil {
		return fmt.Errorf("auth: master key file: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return errors.Join(fmt.Errorf("auth: master key file: %w", err), os.Remove(tmp))
	}
	return syncDir(filepath.Dir(r.path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
