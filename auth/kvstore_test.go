package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/kvretry"
)

// TestOldAuthFileOpens: testdata/auth-v1.db was written by the store as it
// was before it went through kv (bbolt directly): a key pair, the
// operator, a tenant user, a live session, audit events and a flushed
// last-used time (auth-v1.json holds what the test needs to check them).
// The kv store opens it unchanged and reads everything.
func TestOldAuthFileOpens(t *testing.T) {
	raw, err := os.ReadFile("testdata/auth-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		AccessKey, SecretKey, SessionToken, CSRF string
		At                                       time.Time
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile("testdata/auth-v1.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "auth.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32) // the fixture's master key: bytes 1..32
	for i := range key {
		key[i] = byte(i + 1)
	}
	s, err := OpenStore(path, key, fastHash)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetClock(func() time.Time { return want.At.Add(time.Minute) })
	if tenant, secret, err := s.LookupSecret(want.AccessKey); err != nil || tenant != "acme" || secret != want.SecretKey {
		t.Fatalf("LookupSecret: %q %v", tenant, err)
	}
	if info, err := s.GetKey("acme"); err != nil || info.AccessKey != want.AccessKey || !info.LastUsed.Equal(want.At) || !info.Created.Equal(want.At) {
		t.Fatalf("GetKey: %+v %v", info, err)
	}
	sess, u, err := s.Session(want.SessionToken)
	if err != nil || u.Username != "alice" || u.Tenant != "acme" || sess.CSRFToken != want.CSRF {
		t.Fatalf("old session: %+v %+v %v", sess, u, err)
	}
	if _, err := s.CheckPassword("admin", "operator-password", ""); err != nil {
		t.Fatalf("operator password: %v", err)
	}
	if _, _, err := s.Login("alice", "alice-password", ""); err != nil {
		t.Fatalf("alice login: %v", err)
	}
	evs, err := s.ListAudit("acme", 10)
	if err != nil || len(evs) != 3 || evs[0].Action != "bucket.create" || evs[2].Action != "key.generate" {
		t.Fatalf("audit: %+v %v", evs, err)
	}
	// New events continue the old sequence.
	if err := s.Audit(AuditEvent{Actor: "admin", Action: "after.open"}); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.ListAudit("", 10); err != nil || len(evs) != 4 || evs[0].Action != "after.open" {
		t.Fatalf("audit after append: %+v %v", evs, err)
	}
}

// TestTransactionsRerun: every operation, with each transaction run twice
// (kvretry: the first run rolled back), gives the result of one run:
// returned key pairs are the stored ones, counts are not doubled, refusals
// return no stale output.
func TestTransactionsRerun(t *testing.T) {
	s, _, _ := openTestStore(t)
	twice, ok := s.db.(*kvretry.DB)
	if !ok {
		t.Fatalf("test store's db is %T, not kvretry.DB", s.db)
	}
	c, err := s.GenerateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	if tenant, secret, err := s.LookupSecret(c.AccessKey); err != nil || tenant != "acme" || secret != c.SecretKey {
		t.Fatalf("GenerateKey returned a pair other than the stored one: %v", err)
	}
	if again, err := s.GenerateKey("acme"); !errors.Is(err, ErrCredentialExists) || again != (Credential{}) {
		t.Fatalf("second GenerateKey: %+v %v", again, err)
	}
	c2, err := s.RotateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, secret, err := s.LookupSecret(c2.AccessKey); err != nil || secret != c2.SecretKey {
		t.Fatalf("RotateKey returned a pair other than the stored one: %v", err)
	}
	if _, _, err := s.LookupSecret(c.AccessKey); !errors.Is(err, ErrInvalidAccessKeyID) {
		t.Fatalf("old key after rotation: %v", err)
	}
	if none, err := s.RotateKey("nobody"); !errors.Is(err, ErrNoCredential) || none != (Credential{}) {
		t.Fatalf("RotateKey without a key: %+v %v", none, err)
	}
	if _, err := s.GenerateKey("globex"); err != nil {
		t.Fatal(err)
	}
	if counts, err := s.SecretsByKey(); err != nil || len(counts) != 1 || counts[s.ring.current().ID()] != 2 {
		t.Fatalf("SecretsByKey: %v %v", counts, err)
	}
	if n, err := s.ReSealSecrets(t.Context()); err != nil || n != 0 {
		t.Fatalf("ReSealSecrets: %d %v", n, err)
	}

	if err := s.CreateUser("acme", "alice", "alice-password", RoleTenant); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("acme", "alice", "alice-password", RoleTenant); !errors.Is(err, ErrUserExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	var last Session
	for range MaxSessionsPerUser + 3 {
		if last, _, err = s.Login("alice", "alice-password", ""); err != nil {
			t.Fatal(err)
		}
	}
	if list, err := s.Sessions("acme", "alice"); err != nil || len(list) != MaxSessionsPerUser {
		t.Fatalf("Sessions: %d %v", len(list), err)
	}
	if n, err := s.LogoutOthers(last.Token); err != nil || n != MaxSessionsPerUser-1 {
		t.Fatalf("LogoutOthers ended %d (%v), want %d", n, err, MaxSessionsPerUser-1)
	}
	if users, err := s.ListUsers("acme"); err != nil || len(users) != 1 {
		t.Fatalf("ListUsers: %+v %v", users, err)
	}
	for i := range 5 {
		if err := s.Audit(AuditEvent{Actor: "admin", Action: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if evs, err := s.ListAudit("", 0); err != nil || len(evs) != 5 || evs[0].Action != "4" || evs[4].Action != "0" {
		t.Fatalf("ListAudit: %+v %v", evs, err)
	}
	if err := s.DeleteTenant("acme"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(last.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("session after DeleteTenant: %v", err)
	}
	if twice.Reruns() < 20 {
		t.Fatalf("only %d transactions ran twice", twice.Reruns())
	}
}

// auditKeys counts the audit log's stored events.
func auditKeys(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	err := s.view(func(tx kv.Tx) error {
		b, err := bucket(tx, bucketAudit)
		if err != nil {
			return err
		}
		n = 0
		return forEach(b, func(_, _ []byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAuditPagesBackward: ListAudit walks newest first across many pages
// (kv cursors only go forward), with a tenant filter, past a gap in the
// sequence, and a lowered maximum is reached a bounded trim at a time.
func TestAuditPagesBackward(t *testing.T) {
	s, path, key := openTestStore(t)
	const n = 3*auditPage + 17
	for i := range n {
		ev := AuditEvent{Actor: "admin", Tenant: fmt.Sprint("t", i%3), Action: fmt.Sprint(i)}
		if err := s.Audit(ev); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListAudit("", maxAuditList)
	if err != nil || len(all) != n {
		t.Fatalf("ListAudit: %d %v", len(all), err)
	}
	for i, ev := range all {
		if ev.Action != fmt.Sprint(n-1-i) {
			t.Fatalf("event %d is %q, want %d", i, ev.Action, n-1-i)
		}
	}
	t1, err := s.ListAudit("t1", 50)
	if err != nil || len(t1) != 50 {
		t.Fatalf("ListAudit t1: %d %v", len(t1), err)
	}
	for i, ev := range t1 {
		if ev.Tenant != "t1" || i > 0 && ev.Action == t1[i-1].Action {
			t.Fatalf("t1 event %d: %+v", i, ev)
		}
	}
	// A gap (sequence numbers 100..299 gone) is walked over.
	err = s.update(func(tx kv.Tx) error {
		b, _ := bucket(tx, bucketAudit)
		for seq := uint64(101); seq <= 300; seq++ { // event i has sequence i+1
			if err := b.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err = s.ListAudit("", maxAuditList)
	if err != nil || len(all) != n-200 || all[len(all)-1].Action != "0" || all[n-301].Action != "300" || all[n-300].Action != "99" {
		t.Fatalf("ListAudit over a gap: %d %v", len(all), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened with a lower maximum: each append trims at most
	// auditTrimBatch old events, until the log holds the maximum.
	s, err = OpenStore(path, key, fastHash, WithMaxAuditEvents(10))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := auditKeys(t, s)
	if err := s.Audit(AuditEvent{Actor: "admin", Action: "next"}); err != nil {
		t.Fatal(err)
	}
	if got := auditKeys(t, s); got != before+1-auditTrimBatch {
		t.Fatalf("one append left %d events of %d, want %d", got, before, before+1-auditTrimBatch)
	}
	for range before / auditTrimBatch {
		if err := s.Audit(AuditEvent{Actor: "admin", Action: "next"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := auditKeys(t, s); got != 10 {
		t.Fatalf("%d events after trimming, want 10", got)
	}
	if evs, err := s.ListAudit("", 0); err != nil || len(evs) != 10 || evs[0].Action != "next" {
		t.Fatalf("ListAudit: %+v %v", evs, err)
	}
}

// TestSweepPages: the sweep pages through more sessions than one page
// holds, deletes every expired and unreadable record, keeps live ones.
func TestSweepPages(t *testing.T) {
	s, _, _ := openTestStore(t)
	now := time.Now().UTC()
	const expired = 2*sweepPage + 5
	err := s.update(func(tx kv.Tx) error {
		b, _ := bucket(tx, bucketSessions)
		for i := range expired {
			old := now.Add(-SessionMaxAge - time.Minute)
			if err := putJSON(b, tokenKey(fmt.Sprint("old", i)), sessionRecord{Username: fmt.Sprint("u", i), Created: old, LastSeen: old}); err != nil {
				return err
			}
		}
		for i := range 3 {
			if err := putJSON(b, tokenKey(fmt.Sprint("live", i)), sessionRecord{Username: "live", Created: now, LastSeen: now}); err != nil {
				return err
			}
		}
		return b.Put(tokenKey("garbage"), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sweepSessions(); err != nil {
		t.Fatal(err)
	}
	var left []string
	err = s.view(func(tx kv.Tx) error {
		b, _ := bucket(tx, bucketSessions)
		left = nil
		return forEach(b, func(_, v []byte) error {
			var r sessionRecord
			_ = json.Unmarshal(v, &r)
			left = append(left, r.Username)
			return nil
		})
	})
	if err != nil || len(left) != 3 || left[0] != "live" || left[1] != "live" || left[2] != "live" {
		t.Fatalf("after sweep: %v %v", left, err)
	}
}

// sharedDB is a second handle on a kv.DB another Store owns.
type sharedDB struct{ kv.DB }

func (sharedDB) Close() error { return nil }

// openSharedStores opens two Stores over one kv.DB, as two nodes of a
// cluster share the auth store.
func openSharedStores(t *testing.T) (a, b *Store) {
	t.Helper()
	ring, err := NewKeyRing(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(filepath.Join(t.TempDir(), "auth.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := kv.NewBolt(bdb)
	if a, err = OpenStoreKV(db, ring, fastHash); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = OpenStoreKV(sharedDB{db}, ring, fastHash); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// TestSessionLimitAcrossStores: two Stores over one kv.DB (two nodes of a
// cluster sharing the auth store) logging the same user in concurrently
// never leave more than MaxSessionsPerUser sessions: the limit is decided
// in the transaction, not by anything in one process.
func TestSessionLimitAcrossStores(t *testing.T) {
	a, b := openSharedStores(t)
	if err := a.CreateUser("acme", "alice", "alice-password", RoleTenant); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*MaxSessionsPerUser)
	for i := range 4 * MaxSessionsPerUser {
		st := []*Store{a, b}[i%2]
		wg.Go(func() {
			_, _, err := st.Login("alice", "alice-password", "")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []*Store{a, b} {
		if list, err := st.Sessions("acme", "alice"); err != nil || len(list) != MaxSessionsPerUser {
			t.Fatalf("Sessions: %d %v", len(list), err)
		}
	}
}

// TestSharedStoreSecretCache: on a store other processes share
// (OpenStoreKV), a key pair rotated or deleted through one Store stops
// working through another within the secret cache TTL, though the other's
// cache held it; the new pair works there at once.
func TestSharedStoreSecretCache(t *testing.T) {
	a, b := openSharedStores(t)
	clock := &fakeClock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	b.SetClock(clock.Now)
	old, err := a.GenerateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, secret, err := b.LookupSecret(old.AccessKey); err != nil || secret != old.SecretKey {
		t.Fatalf("lookup through b: %v", err)
	}
	rotated, err := a.RotateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, secret, err := b.LookupSecret(rotated.AccessKey); err != nil || secret != rotated.SecretKey {
		t.Fatalf("new key through b: %v", err)
	}
	clock.Advance(DefaultSecretCacheTTL)
	if _, _, err := b.LookupSecret(old.AccessKey); !errors.Is(err, ErrInvalidAccessKeyID) {
		t.Fatalf("rotated-out key through b after the cache TTL: %v", err)
	}
	if err := a.DeleteKey("acme"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(DefaultSecretCacheTTL)
	if _, _, err := b.LookupSecret(rotated.AccessKey); !errors.Is(err, ErrInvalidAccessKeyID) {
		t.Fatalf("deleted key through b after the cache TTL: %v", err)
	}
	// A store in its own file keeps its cache: nothing else writes there.
	s, _, _ := openTestStore(t)
	if s.cacheTTL != 0 || a.cacheTTL != DefaultSecretCacheTTL {
		t.Fatalf("cache TTLs: own file %v, shared %v", s.cacheTTL, a.cacheTTL)
	}
}
