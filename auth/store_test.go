package auth

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/kvretry"
)

// fastHash keeps tests fast (production uses bcrypt.DefaultCost), and runs
// every transaction of the store twice (kvretry), so every test that uses
// it also checks the store's transactions are safe to rerun, as on etcd.
var fastHash Option = func(o *storeOptions) {
	WithBcryptCost(bcrypt.MinCost)(o)
	o.wrapDB = func(db kv.DB) kv.DB { return kvretry.Twice(db) }
}

// fakeClock is a settable clock for store and verifier tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openTestStore(t *testing.T, opts ...Option) (*Store, string, []byte) {
	t.Helper()
	dir := t.TempDir()
	key, err := LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "auth.db")
	s, err := OpenStore(path, key, append([]Option{fastHash}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path, key
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "master.key")
	k1, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || len(k1) != 32 || bytes.Equal(k1, make([]byte, 32)) {
		t.Fatalf("mode %v len %d", st.Mode().Perm(), len(k1))
	}
	k2, err := LoadOrCreateMasterKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v, same=%v", err, bytes.Equal(k1, k2))
	}
	hexKey := filepath.Join(dir, "hex.key")
	if err := os.WriteFile(hexKey, []byte(strings.Repeat("0f", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := LoadOrCreateMasterKey(hexKey); err != nil || !bytes.Equal(k, bytes.Repeat([]byte{15}, 32)) {
		t.Fatalf("hex key file: %x %v", k, err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateMasterKey(bad); err == nil {
		t.Fatal("short key file accepted")
	}
	if _, err := OpenStore(filepath.Join(dir, "x.db"), []byte("short")); err == nil {
		t.Fatal("short master key accepted by OpenStore")
	}
}

var (
	accessKeyRE = regexp.MustCompile(`^[A-Z0-9]{20}$`)
	secretKeyRE = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

// s3Get signs a GET with the SDK signer and returns the verifying server's
// outcome.
func s3Get(t *testing.T, url, ak, secret string) outcome {
	req, _ := http.NewRequest("GET", url+"/bucket", nil)
	signV4(t, req, emptySHA256Hex, ak, secret, "us-east-1", time.Now())
	return doRequest(t, req)
}

func TestCredentialLifecycle(t *testing.T) {
	s, _, _ := openTestStore(t)
	srv := startVerifyServer(t, NewVerifier(s, VerifierOptions{}))

	if _, err := s.GetKey("acme"); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("GetKey before generate: %v", err)
	}
	if _, err := s.RotateKey("acme"); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("RotateKey before generate: %v", err)
	}
	c1, err := s.GenerateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	if !accessKeyRE.MatchString(c1.AccessKey) || !secretKeyRE.MatchString(c1.SecretKey) {
		t.Fatalf("bad key format %q / len %d", c1.AccessKey, len(c1.SecretKey))
	}
	if _, err := s.GenerateKey("acme"); !errors.Is(err, ErrCredentialExists) {
		t.Fatalf("second GenerateKey: %v", err)
	}
	info, err := s.GetKey("acme")
	if err != nil || info.AccessKey != c1.AccessKey || !info.LastUsed.IsZero() {
		t.Fatalf("GetKey: %+v %v", info, err)
	}
	if got := s3Get(t, srv.URL, c1.AccessKey, c1.SecretKey); got.Stage != "ok" || got.Tenant != "acme" {
		t.Fatalf("first key: %+v", got)
	}
	if info, _ := s.GetKey("acme"); info.LastUsed.IsZero() {
		t.Fatal("LastUsed not tracked")
	}

	c2, err := s.RotateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	if c2.AccessKey == c1.AccessKey || c2.SecretKey == c1.SecretKey {
		t.Fatal("rotation kept the old key")
	}
	if got := s3Get(t, srv.URL, c1.AccessKey, c1.SecretKey); got.Error != "InvalidAccessKeyID" {
		t.Fatalf("old key after rotate: %+v", got)
	}
	if got := s3Get(t, srv.URL, c2.AccessKey, c2.SecretKey); got.Stage != "ok" {
		t.Fatalf("new key after rotate: %+v", got)
	}
	if got := s3Get(t, srv.URL, c2.AccessKey, c1.SecretKey); got.Error != "SignatureMismatch" {
		t.Fatalf("new key with old secret: %+v", got)
	}

	if err := s.DeleteKey("acme"); err != nil {
		t.Fatal(err)
	}
	if got := s3Get(t, srv.URL, c2.AccessKey, c2.SecretKey); got.Error != "InvalidAccessKeyID" {
		t.Fatalf("key after delete: %+v", got)
	}
	if err := s.DeleteKey("acme"); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("second delete: %v", err)
	}
	c3, err := s.GenerateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	if got := s3Get(t, srv.URL, c3.AccessKey, c3.SecretKey); got.Stage != "ok" {
		t.Fatalf("regenerated key: %+v", got)
	}
}

func TestSecretNeverStoredInClear(t *testing.T) {
	s, path, key := openTestStore(t)
	var secrets []string
	for i := range 3 {
		c, err := s.GenerateKey(fmt.Sprintf("tenant%d", i))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, c.SecretKey)
		c, err = s.RotateKey(fmt.Sprintf("tenant%d", i))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, c.SecretKey)
	}
	if err := s.CreateUser("tenant0", "alice", "correct horse battery", RoleTenant); err != nil {
		t.Fatal(err)
	}
	sess, _, err := s.Login("alice", "correct horse battery", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	last, _ := s.GetKey("tenant2")
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(last.AccessKey)) {
		t.Fatal("access key not found in the file: the grep below proves nothing")
	}
	for _, needle := range append(secrets, "correct horse battery", sess.Token) {
		if bytes.Contains(raw, []byte(needle)) {
			t.Fatalf("%q found in clear in %s", needle[:6]+"...", path)
		}
	}
	// Reopened with the right key the secret is readable; with another key not.
	s2, err := OpenStore(path, key, fastHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, secret, err := s2.LookupSecret(last.AccessKey); err != nil || secret != secrets[5] {
		t.Fatalf("reopen lookup: %v", err)
	}
	s2.Close()
	other := bytes.Repeat([]byte{7}, 32)
	s3, err := OpenStore(path, other, fastHash)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if _, _, err := s3.LookupSecret(last.AccessKey); err == nil {
		t.Fatal("secret decrypted with the wrong master key")
	}
}

func TestLastUsedPersists(t *testing.T) {
	s, path, key := openTestStore(t)
	c, _ := s.GenerateKey("acme")
	if _, _, err := s.LookupSecret(c.AccessKey); err != nil {
		t.Fatal(err)
	}
	s.MarkUsed(c.AccessKey)
	s.Close()
	s2, err := OpenStore(path, key, fastHash)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if info, _ := s2.GetKey("acme"); info.LastUsed.IsZero() {
		t.Fatal("LastUsed lost on close")
	}
}

// TestRotateRacesLookups checks that once RotateKey returns, no lookup of
// the old key succeeds, however lookups and the rotation interleave.
func TestRotateRacesLookups(t *testing.T) {
	s, _, _ := openTestStore(t)
	old, _ := s.GenerateKey("acme")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					_, _, _ = s.LookupSecret(old.AccessKey)
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := s.RotateKey("acme"); err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if _, _, err := s.LookupSecret(old.AccessKey); !errors.Is(err, ErrInvalidAccessKeyID) {
			t.Fatalf("old key still resolves after rotation: %v", err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestUsersAndLogin(t *testing.T) {
	s, _, _ := openTestStore(t)
	created, err := s.EnsureOperator("operator-password")
	if err != nil || !created {
		t.Fatalf("EnsureOperator: %v %v", created, err)
	}
	if created, err := s.EnsureOperator("another-password"); err != nil || created {
		t.Fatalf("second EnsureOperator: %v %v", created, err)
	}
	if _, err := s.CheckPassword("admin", "operator-password", "1.2.3.4"); err != nil {
		t.Fatalf("operator password changed by second EnsureOperator: %v", err)
	}
	for _, c := range []struct {
		tenant, user, pass string
		want               error
	}{
		{"acme", "alice", "short", ErrWeakPassword},
		{"acme", "", "long enough pw", ErrInvalidUsername},
		{"acme", "bad name", "long enough pw", ErrInvalidUsername},
		{"acme", "alice", "alice-password", nil},
		{"acme", "alice", "alice-password", ErrUserExists},
		{"acme", "admin", "alice-password", ErrUserExists},
		{"globex", "bob", "bob-password", nil},
	} {
		if err := s.CreateUser(c.tenant, c.user, c.pass, RoleTenant); !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("CreateUser(%q,%q): %v, want %v", c.tenant, c.user, err, c.want)
		}
	}
	users, _ := s.ListUsers("acme")
	if len(users) != 1 || users[0].Username != "alice" || users[0].Role != RoleTenant || users[0].Tenant != "acme" {
		t.Fatalf("ListUsers(acme) = %+v", users)
	}
	if all, _ := s.ListUsers(""); len(all) != 3 {
		t.Fatalf("ListUsers(\"\") = %+v", all)
	}

	sess, u, err := s.Login("alice", "alice-password", "10.0.0.1")
	if err != nil || u.Tenant != "acme" || u.Role != RoleTenant {
		t.Fatalf("Login: %+v %v", u, err)
	}
	if len(sess.Token) < 43 || len(sess.CSRFToken) < 43 || sess.Token == sess.CSRFToken {
		t.Fatalf("weak tokens: %q %q", sess.Token, sess.CSRFToken)
	}
	got, gu, err := s.Session(sess.Token)
	if err != nil || gu.Username != "alice" || got.CSRFToken != sess.CSRFToken {
		t.Fatalf("Session: %+v %+v %v", got, gu, err)
	}
	if _, _, err := s.Login("alice", "wrong-password", "10.0.0.1"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, err := s.Login("nobody", "whatever-pass", "10.0.0.1"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := s.Logout(sess.Token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(sess.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("after logout: %v", err)
	}

	// SetPassword and DeleteUser end sessions.
	sess, _, _ = s.Login("alice", "alice-password", "10.0.0.1")
	if err := s.SetPassword("acme", "alice", "new-alice-password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(sess.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("session survived password change: %v", err)
	}
	if _, err := s.CheckPassword("alice", "alice-password", ""); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("old password still works: %v", err)
	}
	sess, _, _ = s.Login("alice", "new-alice-password", "10.0.0.1")
	if err := s.DeleteUser("acme", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(sess.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("session survived user deletion: %v", err)
	}
	if err := s.DeleteUser("acme", "alice"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.SetPassword("acme", "alice", "whatever-pass"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("SetPassword unknown: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	s, _, _ := openTestStore(t)
	clock := &fakeClock{t: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)}
	s.SetClock(clock.Now)
	if err := s.CreateUser("acme", "alice", "alice-password", RoleTenant); err != nil {
		t.Fatal(err)
	}

	// Idle expiry: used within 30 minutes it lives on; idle 30 minutes it dies.
	sess, _, _ := s.Login("alice", "alice-password", "")
	if want := clock.Now().Add(SessionIdleTimeout); !sess.Expires.Equal(want) {
		t.Fatalf("Expires %v want %v", sess.Expires, want)
	}
	clock.Advance(29 * time.Minute)
	if _, _, err := s.Session(sess.Token); err != nil {
		t.Fatalf("at 29 min: %v", err)
	}
	clock.Advance(29 * time.Minute)
	if _, _, err := s.Session(sess.Token); err != nil {
		t.Fatalf("29 min after last use: %v", err)
	}
	clock.Advance(SessionIdleTimeout)
	if _, _, err := s.Session(sess.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("after 30 idle minutes: %v", err)
	}

	// Absolute expiry: constant use does not stretch a session past 12 hours.
	sess, _, _ = s.Login("alice", "alice-password", "")
	start := clock.Now()
	for clock.Now().Sub(start) < SessionMaxAge-20*time.Minute {
		clock.Advance(20 * time.Minute)
		if _, _, err := s.Session(sess.Token); err != nil {
			t.Fatalf("at %v: %v", clock.Now().Sub(start), err)
		}
	}
	clock.Advance(20 * time.Minute)
	if _, _, err := s.Session(sess.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("after 12 h: %v", err)
	}
	if _, _, err := s.Session("not-a-token"); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("garbage token: %v", err)
	}

	// Abandoned sessions are swept; live ones stay. (Login itself only
	// clears the same user's expired sessions, so use another user.)
	if err := s.CreateUser("acme", "bob", "bob-password", RoleTenant); err != nil {
		t.Fatal(err)
	}
	old, _, _ := s.Login("bob", "bob-password", "")
	clock.Advance(SessionIdleTimeout + time.Minute)
	live, _, _ := s.Login("alice", "alice-password", "")
	if err := s.sweepSessions(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.view(func(tx kv.Tx) error {
		b, err := bucket(tx, bucketSessions)
		if err != nil {
			return err
		}
		n = 0
		return forEach(b, func(_, _ []byte) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d sessions stored after sweep, want 1", n)
	}
	if _, _, err := s.Session(live.Token); err != nil {
		t.Fatalf("live session swept: %v", err)
	}
	if _, _, err := s.Session(old.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("expired session: %v", err)
	}
}

func TestAuditLog(t *testing.T) {
	s, _, _ := openTestStore(t, WithMaxAuditEvents(5))
	base := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for i := range 8 {
		tenant := []string{"acme", "globex"}[i%2]
		if err := s.Audit(AuditEvent{Time: base.Add(time.Duration(i) * time.Minute), Actor: "alice", Tenant: tenant,
			Action: "credentials.rotate", Target: fmt.Sprint(i), RemoteIP: "10.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.ListAudit("", 0)
	if len(all) != 5 || all[0].Target != "7" || all[4].Target != "3" {
		t.Fatalf("bounded newest-first list: %+v", all)
	}
	acme, _ := s.ListAudit("acme", 10)
	if len(acme) != 2 || acme[0].Target != "6" || acme[1].Target != "4" {
		t.Fatalf("acme: %+v", acme)
	}
	if one, _ := s.ListAudit("", 1); len(one) != 1 || one[0].Target != "7" {
		t.Fatalf("limit 1: %+v", one)
	}
}

func TestDeleteTenant(t *testing.T) {
	s, _, _ := openTestStore(t)
	if _, err := s.EnsureOperator("operator-password"); err != nil {
		t.Fatal(err)
	}
	c, _ := s.GenerateKey("acme")
	other, _ := s.GenerateKey("globex")
	if err := s.CreateUser("acme", "alice", "alice-password", RoleTenant); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("globex", "bob", "bob-password", RoleTenant); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.LookupSecret(c.AccessKey); err != nil { // warm the cache
		t.Fatal(err)
	}
	sess, _, _ := s.Login("alice", "alice-password", "")
	if err := s.DeleteTenant("acme"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.LookupSecret(c.AccessKey); !errors.Is(err, ErrInvalidAccessKeyID) {
		t.Fatalf("key of deleted tenant: %v", err)
	}
	if _, _, err := s.Session(sess.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("session of deleted tenant: %v", err)
	}
	if users, _ := s.ListUsers(""); len(users) != 2 {
		t.Fatalf("users left: %+v", users)
	}
	if _, _, err := s.LookupSecret(other.AccessKey); err != nil {
		t.Fatalf("other tenant's key: %v", err)
	}
	if err := s.DeleteTenant("acme"); err != nil {
		t.Fatalf("deleting an empty tenant: %v", err)
	}
}
