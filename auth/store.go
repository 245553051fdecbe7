package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// bbolt buckets of the auth database.
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
)

// Store keeps credentials, console users, sessions and the audit log in its
// own bbolt file. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	ring *KeyRing // seals tenants' secrets (credentials.go)

	clockMu sync.RWMutex
	clock   func() time.Time

	// credMu serialises credential writes and cache fills, so a lookup
	// racing a rotation can never re-insert the old secret into the cache.
	credMu sync.Mutex
	cache  sync.Map // access key -> cachedSecret

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

type cachedSecret struct{ tenant, secret string }

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
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketCredentials, bucketAccessKeys, bucketUsers, bucketSessions, bucketAudit} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return migrateUserKeys(tx)
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("auth: init %s: %w", path, err), db.Close())
	}
	s := &Store{
		db:       db,
		ring:     ring,
		clock:    time.Now,
		lastUsed: map[string]usedMark{},
		opts:     newStoreOptions(opts),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
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

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
