package auth

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// TestPerTenantUsernames: two tenants may each have an "alice"; a bare
// "alice" with a right password is ambiguous, "alice@tenant" or the tenant
// named apart picks one, and operator names stay reserved everywhere.
func TestPerTenantUsernames(t *testing.T) {
	s, _, _ := openTestStore(t)
	if _, err := s.EnsureOperator("operator-password"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ tenant, user, pass string }{
		{"acme", "alice", "acme-alice-pw"}, {"globex", "alice", "globex-alice-pw"}, {"acme", "bob", "acme-bob-pw"},
		{"acme", "carol@example.com", "carol-acme-pw"},
	} {
		if err := s.CreateUser(c.tenant, c.user, c.pass, RoleTenant); err != nil {
			t.Fatalf("CreateUser(%s, %s): %v", c.tenant, c.user, err)
		}
	}
	if err := s.CreateUser("acme", "alice", "another-pw", RoleTenant); !errors.Is(err, ErrUserExists) {
		t.Fatalf("same name twice in one tenant: %v", err)
	}
	if err := s.CreateUser("globex", "admin", "another-pw", RoleTenant); !errors.Is(err, ErrUserExists) {
		t.Fatalf("tenant user named like the operator: %v", err)
	}
	if err := s.CreateUser("", "bob", "another-pw", RoleOperator); !errors.Is(err, ErrUserExists) {
		t.Fatalf("operator named like a tenant user: %v", err)
	}

	if _, _, err := s.Login("alice", "acme-alice-pw", "10.0.0.1"); !errors.Is(err, ErrAmbiguousUser) {
		t.Fatalf("bare ambiguous name: %v", err)
	}
	if _, _, err := s.Login("alice", "wrong-password", "10.0.0.1"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("bare ambiguous name, wrong password: %v (must not reveal ambiguity)", err)
	}
	for _, c := range []struct{ req LoginRequest }{
		{LoginRequest{Username: "alice@acme", Password: "acme-alice-pw"}},
		{LoginRequest{Username: "alice", Tenant: "acme", Password: "acme-alice-pw"}},
		{LoginRequest{Username: "bob", Password: "acme-bob-pw"}},
		{LoginRequest{Username: "bob@acme", Password: "acme-bob-pw"}},
		{LoginRequest{Username: "carol@example.com", Password: "carol-acme-pw"}},
		{LoginRequest{Username: "carol@example.com@acme", Password: "carol-acme-pw"}},
	} {
		_, u, err := s.LoginAs(c.req)
		if err != nil || u.Tenant != "acme" {
			t.Fatalf("LoginAs(%+v): %+v %v", c.req.Username, u, err)
		}
	}
	if _, u, err := s.Login("alice@globex", "globex-alice-pw", ""); err != nil || u.Tenant != "globex" || u.Username != "alice" {
		t.Fatalf("alice@globex: %+v %v", u, err)
	}
	if _, _, err := s.Login("alice@globex", "acme-alice-pw", ""); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("alice@globex with acme's password: %v", err)
	}
	if _, _, err := s.LoginAs(LoginRequest{Username: "bob", Tenant: "globex", Password: "acme-bob-pw"}); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("bob in the wrong tenant: %v", err)
	}
	if u, err := s.CheckPassword("admin", "operator-password", ""); err != nil || u.Role != RoleOperator {
		t.Fatalf("operator by bare name: %+v %v", u, err)
	}

	// Each alice's password and sessions are her own.
	sa, _, _ := s.Login("alice@acme", "acme-alice-pw", "")
	sg, _, _ := s.Login("alice@globex", "globex-alice-pw", "")
	if err := s.SetPassword("globex", "alice", "globex-new-pw"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(sa.Token); err != nil {
		t.Fatalf("acme alice's session ended by globex alice's password change: %v", err)
	}
	if _, _, err := s.Session(sg.Token); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("globex alice's session survived her password change: %v", err)
	}
	if err := s.DeleteUser("globex", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, u, err := s.Login("alice", "acme-alice-pw", ""); err != nil || u.Tenant != "acme" {
		t.Fatalf("alice unique again: %+v %v", u, err)
	}
}

// TestOldLayoutStoreMigrates: a store written before per-tenant names (users
// keyed by bare name) opens, its users log in as before and its sessions
// stay valid.
func TestOldLayoutStoreMigrates(t *testing.T) {
	dir := t.TempDir()
	key, err := LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "auth.db")
	hash, _ := bcrypt.GenerateFromPassword([]byte("alice-password"), bcrypt.MinCost)
	opHash, _ := bcrypt.GenerateFromPassword([]byte("operator-password"), bcrypt.MinCost)
	now := time.Now().UTC()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		users, _ := tx.CreateBucket([]byte("users"))
		sessions, _ := tx.CreateBucket([]byte("sessions"))
		// The old layout, as written by the old CreateUser and Login.
		_ = boltPutJSON(users, []byte("alice"), userRecord{Username: "alice", Tenant: "acme", Role: RoleTenant, Hash: hash, Created: now})
		_ = boltPutJSON(users, []byte("admin"), userRecord{Username: "admin", Role: RoleOperator, Hash: opHash, Created: now})
		return boltPutJSON(sessions, tokenKey("old-session-token"), sessionRecord{Username: "alice", Tenant: "acme", CSRF: "csrf", Created: now, LastSeen: now})
	})
	if err != nil || db.Close() != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ { // the second open finds nothing to move
		s, err := OpenStore(path, key, fastHash)
		if err != nil {
			t.Fatal(err)
		}
		// The old session keeps its public ID (the page compares it with the one it logged in with).
		if sess, u, err := s.Session("old-session-token"); err != nil || u.Username != "alice" || u.Tenant != "acme" || sess.ID != sessionID("old-session-token") {
			t.Fatalf("round %d: old session: %+v %+v %v", round, sess, u, err)
		}
		if list, err := s.Sessions("acme", "alice"); err != nil || len(list) == 0 || list[len(list)-1].ID != sessionID("old-session-token") {
			t.Fatalf("round %d: session list: %+v %v", round, list, err)
		}
		name := "alice" // unique in round 0; round 1 has a second alice, in globex
		if round == 1 {
			if _, _, err := s.Login("alice", "alice-password", ""); !errors.Is(err, ErrAmbiguousUser) {
				t.Fatalf("round 1: bare alice: %v", err)
			}
			name = "alice@acme"
		}
		if _, u, err := s.Login(name, "alice-password", ""); err != nil || u.Tenant != "acme" {
			t.Fatalf("round %d: old user as %s: %+v %v", round, name, u, err)
		}
		if _, err := s.CheckPassword("admin", "operator-password", ""); err != nil {
			t.Fatalf("round %d: operator: %v", round, err)
		}
		if users, _ := s.ListUsers("acme"); len(users) != 1 || users[0].Username != "alice" {
			t.Fatalf("round %d: ListUsers = %+v", round, users)
		}
		if round == 0 {
			if err := s.CreateUser("globex", "alice", "globex-alice-pw", RoleTenant); err != nil {
				t.Fatalf("second alice after migration: %v", err)
			}
		}
		s.Close()
	}
}

// TestSessionLimitPerUser: the 11th login of a user ends the least
// recently used session; other users' sessions are not touched.
func TestSessionLimitPerUser(t *testing.T) {
	s, _, _ := openTestStore(t)
	clock := &fakeClock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	s.SetClock(clock.Now)
	for _, u := range []string{"alice", "bob"} {
		if err := s.CreateUser("acme", u, u+"-password", RoleTenant); err != nil {
			t.Fatal(err)
		}
	}
	bob, _, _ := s.Login("bob", "bob-password", "")
	var tokens []string
	for i := 0; i < MaxSessionsPerUser+2; i++ {
		clock.Advance(time.Second)
		sess, _, err := s.Login("alice", "alice-password", "")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, sess.Token)
		if i == MaxSessionsPerUser-1 {
			clock.Advance(2 * time.Minute)
			if _, _, err := s.Session(tokens[0]); err != nil { // the first session is now the most recently used
				t.Fatal(err)
			}
		}
	}
	list, err := s.Sessions("acme", "alice")
	if err != nil || len(list) != MaxSessionsPerUser {
		t.Fatalf("Sessions: %d %v", len(list), err)
	}
	if _, _, err := s.Session(tokens[0]); err != nil {
		t.Fatalf("recently used session evicted: %v", err)
	}
	for _, tok := range tokens[1:3] {
		if _, _, err := s.Session(tok); !errors.Is(err, ErrSessionInvalid) {
			t.Fatalf("least recently used session kept: %v", err)
		}
	}
	if _, _, err := s.Session(bob.Token); err != nil {
		t.Fatalf("bob's session evicted by alice's logins: %v", err)
	}
}

// TestChangePasswordAndSessions: ChangePassword needs the right current
// password, keeps the calling session and ends the others; Sessions names
// sessions by ID with their client, never by token; LogoutOthers keeps the
// caller's.
func TestChangePasswordAndSessions(t *testing.T) {
	s, _, _ := openTestStore(t)
	if err := s.CreateUser("acme", "alice", "alice-password", RoleTenant); err != nil {
		t.Fatal(err)
	}
	a, _, _ := s.LoginAs(LoginRequest{Username: "alice", Password: "alice-password", RemoteIP: "10.0.0.1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)\x00\nFirefox/120.0"})
	b, _, _ := s.LoginAs(LoginRequest{Username: "alice", Password: "alice-password", RemoteIP: "10.0.0.2", UserAgent: strings.Repeat("x", 1000)})
	c, _, _ := s.Login("alice", "alice-password", "10.0.0.3")

	list, err := s.Sessions("acme", "alice")
	if err != nil || len(list) != 3 {
		t.Fatalf("Sessions: %+v %v", list, err)
	}
	byID := map[string]SessionInfo{}
	for _, si := range list {
		byID[si.ID] = si
		for _, tok := range []string{a.Token, b.Token, c.Token} {
			if strings.Contains(si.ID, tok) || si.ID == string(tokenKey(tok)) {
				t.Fatalf("session ID reveals a token")
			}
		}
	}
	if got := byID[a.ID]; got.IP != "10.0.0.1" || got.UserAgent != "Mozilla/5.0 (X11; Linux x86_64)Firefox/120.0" {
		t.Fatalf("session a: %+v", got)
	}
	if got := byID[b.ID]; got.IP != "10.0.0.2" || len(got.UserAgent) != maxUserAgentLength {
		t.Fatalf("session b: IP %q, UA %d bytes", got.IP, len(got.UserAgent))
	}

	if err := s.ChangePassword(a.Token, "wrong-password", "new-alice-password", "10.0.0.1"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := s.ChangePassword(a.Token, "alice-password", "short", "10.0.0.1"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("short new password: %v", err)
	}
	if _, _, err := s.Session(b.Token); err != nil {
		t.Fatalf("refused change ended a session: %v", err)
	}
	if err := s.ChangePassword(a.Token, "alice-password", "new-alice-password", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(a.Token); err != nil {
		t.Fatalf("the changing session ended: %v", err)
	}
	for _, tok := range []string{b.Token, c.Token} {
		if _, _, err := s.Session(tok); !errors.Is(err, ErrSessionInvalid) {
			t.Fatalf("other session survived the password change: %v", err)
		}
	}
	if _, err := s.CheckPassword("alice", "new-alice-password", ""); err != nil {
		t.Fatalf("new password: %v", err)
	}

	d, _, _ := s.Login("alice", "new-alice-password", "")
	e, _, _ := s.Login("alice", "new-alice-password", "")
	if n, err := s.LogoutOthers(d.Token); err != nil || n != 2 {
		t.Fatalf("LogoutOthers: %d %v", n, err)
	}
	if _, _, err := s.Session(d.Token); err != nil {
		t.Fatalf("LogoutOthers ended its own session: %v", err)
	}
	for _, tok := range []string{a.Token, e.Token} {
		if _, _, err := s.Session(tok); !errors.Is(err, ErrSessionInvalid) {
			t.Fatalf("LogoutOthers left a session: %v", err)
		}
	}
	if _, err := s.LogoutOthers("no-such-token"); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("LogoutOthers unknown token: %v", err)
	}
}

// boltPutJSON writes a record straight through bbolt, as the store did
// before it went through kv.
func boltPutJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
