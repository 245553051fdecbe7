package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"github.com/cofferstore/coffer/internal/kv"
)

// Buckets of the auth database (bbolt's in auth.db; the same names under
// the cluster's etcd prefix).
var (
	bucketCredentials = []byte("credentials") // tenant -> credentialRecord
	bucketAccessKeys  = []byte("accesskeys")  // access key -> tenant
	bucketUsers       = []byte("users")       // userKey(tenant, username) -> userRecord
	bucketSessions    = []byte("sessions")    // sha256(token) -> sessionRecord
	bucketAudit       = []byte("audit")       // big-endian sequence -> AuditEvent
)

// lastUsedFlushInterval is how often in-memory last-used times reach disk;
// sessionSweepInterval how often expired sessions are deleted.
const (
	lastUsedFlushInterval = 30 * time.Second
	sessionSweepInterval  = 10 * time.Minute
	// txTimeout bounds one transaction against a remote store (etcd), so
	// a store without quorum fails a request instead of hanging it; an
	// etcd leader election takes a few seconds.
	txTimeout = 10 * time.Second
)

// Store keeps credentials, console users, sessions and the audit log in a
// kv.DB: its own bbolt file on a single node, etcd in a cluster. It is safe
// for concurrent use. The in-memory parts (secret cache, last-used times,
// login throttling) are per process; everything a cluster must agree on
// (session limits included) is decided inside kv transactions.
type Store struct {
	db   kv.DB
	ring *KeyRing // seals tenants' secrets (credentials.go)

	clockMu sync.RWMutex
	clock   func() time.Time

	// credMu serialises credential writes and cache fills, so a lookup
	// racing a rotation can never re-insert the old secret into the cache.
	credMu sync.Mutex
	cache  sync.Map // access key -> cachedSecret
	// cacheTTL bounds how long a cached secret is used without reading
	// the store (0: until this process rotates or deletes it).
	cacheTTL time.Duration

	usedMu   sync.Mutex
	lastUsed map[string]usedMark // tenant -> last use, not yet flushed

	limiter *loginLimiter

	tokenMu  sync.RWMutex
	tokenSum *[32]byte // SHA-256 of the operator API token; nil = none

	opts storeOptions
	// dummyHash is compared against when a user does not exist, so a wrong
	// username costs as much time as a wrong password (at this store's cost).
	dummyHash func() []byte

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// cachedSecret is a looked-up secret and when it was read (for the cache
// TTL of a shared store).
type cachedSecret struct {
	tenant, secret string
	at             time.Time
}

// usedMark is an unflushed last-use time of one access key.
type usedMark struct {
	accessKey string
	at        time.Time
}

// OpenStore opens (creating if needed) the auth database at path. masterKey
// must be 32 bytes (see LoadOrCreateMasterKey); it is a key ring of one,
// which cannot rotate (OpenStoreRing can).
func OpenStore(path string, masterKey []byte, opts ...Option) (*Store, error) {
	ring, err := NewKeyRing(masterKey)
	if err != nil {
		return nil, err
	}
	return OpenStoreRing(path, ring, opts...)
}

// OpenStoreRing opens (creating if needed) the auth database at path, its
// tenants' secrets sealed under ring's keys (see LoadKeyRing).
func OpenStoreRing(path string, ring *KeyRing, opts ...Option) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("auth: open %s: %w", path, err)
	}
	s, err := OpenStoreKV(kv.NewBolt(db), ring, append([]Option{privateStore}, opts...)...)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w (%s)", err, path), db.Close())
	}
	return s, nil
}

// OpenStoreKV opens the auth store kept in db (creating its buckets if
// needed), its tenants' secrets sealed under ring's keys. The Store owns
// db from then on: Close closes it. On error db stays open.
func OpenStoreKV(db kv.DB, ring *KeyRing, opts ...Option) (*Store, error) {
	o := newStoreOptions(opts)
	if o.wrapDB != nil {
		db = o.wrapDB(db)
	}
	s := &Store{
		db:       db,
		ring:     ring,
		clock:    time.Now,
		lastUsed: map[string]usedMark{},
		opts:     o,
		cacheTTL: o.cacheTTL(),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	err := s.update(func(tx kv.Tx) error {
		for _, b := range [][]byte{bucketCredentials, bucketAccessKeys, bucketUsers, bucketSessions, bucketAudit} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return migrateUserKeys(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("auth: init: %w", err)
	}
	s.limiter = newLoginLimiter(s.now)
	s.dummyHash = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("coffer-no-such-user"), s.opts.bcryptCost)
		return h
	})
	go s.flushLoop()
	return s, nil
}

// Close flushes last-used times and closes the database.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		s.flushLastUsed()
		err = s.db.Close()
	})
	return err
}

// SetClock replaces the store's clock (time.Now by default); tests use it to
// move through session and rate-limit windows.
func (s *Store) SetClock(now func() time.Time) {
	s.clockMu.Lock()
	s.clock = now
	s.clockMu.Unlock()
}

func (s *Store) now() time.Time {
	s.clockMu.RLock()
	defer s.clockMu.RUnlock()
	return s.clock()
}

// flushLoop writes last-used times every 30 s and drops expired sessions
// every sessionSweepInterval.
func (s *Store) flushLoop() {
	defer close(s.done)
	flush := time.NewTicker(lastUsedFlushInterval)
	defer flush.Stop()
	sweep := time.NewTicker(sessionSweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-flush.C:
			s.flushLastUsed()
		case <-sweep.C:
			_ = s.sweepSessions()
		}
	}
}

// view and update run fn in a transaction bounded by txTimeout. fn may
// run more than once (kv.DB): it resets what it reports on every run.
func (s *Store) view(fn func(kv.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), txTimeout)
	defer cancel()
	return s.db.View(ctx, fn)
}

func (s *Store) update(fn func(kv.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), txTimeout)
	defer cancel()
	return s.db.Update(ctx, fn)
}

// bucket returns one of the store's buckets, which OpenStoreKV created.
func bucket(tx kv.Tx, name []byte) (kv.Bucket, error) {
	b, err := tx.Bucket(name)
	if err == nil && b == nil {
		err = fmt.Errorf("auth: bucket %q missing", name)
	}
	return b, err
}

// forEach calls fn for every key of b in order. fn must not change b
// (collect keys, change them after the walk); k and v are valid during
// the call only.
func forEach(b kv.Bucket, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return c.Err()
}

// errStopWalk ends a forEach early; the caller treats it as success.
var errStopWalk = errors.New("auth: stop walk")

// walkPage calls fn for at most n keys of b after after (nil: from the
// first key) and returns the last key it visited (a copy) and done when
// it reached the end. Each call visits at least one key strictly after
// after or ends the walk, so walks that page through a bucket with it,
// one transaction per page, make progress. fn must not change b.
func walkPage(b kv.Bucket, after []byte, n int, fn func(k, v []byte) error) (last []byte, done bool, err error) {
	c := b.Cursor()
	k, v := c.Seek(after)
	if k != nil && after != nil && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	for visited := 0; k != nil; visited++ {
		if visited == n {
			return last, false, nil
		}
		last = bytes.Clone(k)
		if err := fn(k, v); err != nil {
			return nil, false, err
		}
		k, v = c.Next()
	}
	return last, true, c.Err()
}

// errUnreadable wraps the decoding error of a stored record.
var errUnreadable = errors.New("auth: unreadable record")

// getJSON reads and decodes key's record; false when absent. Read errors
// pass up as they are, a record that does not decode as errUnreadable.
// deleteKeys deletes keys from b (collected by a walk: a bucket must not
// change under its cursor).
func deleteKeys(b kv.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func getJSON(b kv.Bucket, key []byte, v any) (bool, error) {
	data, err := b.Get(key)
	if err != nil || data == nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	return true, nil
}

// getValid is getJSON where an unreadable record counts as absent.
func getValid(b kv.Bucket, key []byte, v any) (bool, error) {
	ok, err := getJSON(b, key, v)
	if errors.Is(err, errUnreadable) {
		return false, nil
	}
	return ok, err
}

func putJSON(b kv.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
