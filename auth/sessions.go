package auth

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/minio/sha256-simd"

	"github.com/cofferstore/coffer/internal/kv"
)

// Session lifetimes: a session ends after SessionIdleTimeout without use or
// SessionMaxAge after login, whichever comes first.
const (
	SessionIdleTimeout = 30 * time.Minute
	SessionMaxAge      = 12 * time.Hour
	// sessionTouchInterval limits last-seen writes to one per minute per session.
	sessionTouchInterval = time.Minute
	// MaxSessionsPerUser bounds a user's live sessions: a login beyond it
	// ends the user's least recently used session.
	MaxSessionsPerUser = 10
	// maxUserAgentLength bounds the User-Agent a session record keeps.
	maxUserAgentLength = 256
)

// Session is a console login. Token goes in the session cookie; CSRFToken
// must accompany every state-changing request. Expires is when the session
// ends if left idle (never later than the absolute limit).
type Session struct {
	Token     string
	CSRFToken string
	// ID names the session without revealing its token (a hash of it), so a
	// page can tell whether the browser still sends the session it logged in with.
	ID      string
	Created time.Time
	Expires time.Time
}

// sessionRecord is stored under sha256(token); the token itself never is.
type sessionRecord struct {
	Username string    `json:"username"`
	Tenant   string    `json:"tenant,omitempty"`
	CSRF     string    `json:"csrf"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"lastSeen"`
	// ID, IP and UserAgent are for the session list: the public name, and
	// the client that logged in. Records from before they were kept have
	// none; Session fills ID at the session's next use.
	ID        string `json:"id,omitempty"`
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// owner reports whether the session belongs to tenant's user username.
func (r sessionRecord) owner(tenant, username string) bool {
	return r.Username == username && r.Tenant == tenant
}

func (r sessionRecord) expires() time.Time {
	idle := r.LastSeen.Add(SessionIdleTimeout)
	abs := r.Created.Add(SessionMaxAge)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

func tokenKey(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// sessionID is the public name of a session: a domain-separated hash of its
// token, distinct from the storage key. It is kept in the session record,
// so the session list can name sessions whose tokens the store never keeps.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte("coffer session id\x00" + token))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// keyID names a session recorded before records kept their ID, from its
// storage key, until its next use records the ID (Session).
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("coffer session key id\x00"), key...))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// LoginRequest is one console login: the name as typed ("alice" or
// "alice@acme"), an optional tenant named apart, and the client's address
// and User-Agent for the session list.
type LoginRequest struct {
	Tenant    string
	Username  string
	Password  string
	RemoteIP  string
	UserAgent string
}

// Login checks a username and password and starts a session. It returns
// ErrRateLimited after too many recent failures for the user or remoteIP,
// and ErrBadPassword for a wrong password or unknown user.
func (s *Store) Login(username, password, remoteIP string) (Session, User, error) {
	return s.LoginAs(LoginRequest{Username: username, Password: password, RemoteIP: remoteIP})
}

// LoginAs is Login with the tenant and client named (see
// CheckTenantPassword). At most MaxSessionsPerUser sessions live per user.
func (s *Store) LoginAs(req LoginRequest) (Session, User, error) {
	u, err := s.CheckTenantPassword(req.Tenant, req.Username, req.Password, req.RemoteIP)
	if err != nil {
		return Session{}, User{}, err
	}
	token, err := randomToken()
	if err != nil {
		return Session{}, User{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return Session{}, User{}, err
	}
	now := s.now().UTC()
	rec := sessionRecord{Username: u.Username, Tenant: u.Tenant, CSRF: csrf, Created: now, LastSeen: now,
		ID: sessionID(token), IP: req.RemoteIP, UserAgent: cleanUserAgent(req.UserAgent)}
	// The limit holds across the nodes of a cluster: the count and the
	// insert are one serializable transaction, so a concurrent login of
	// the same user (on any node) conflicts with it and one of them reruns.
	err = s.update(func(tx kv.Tx) error {
		b, err := bucket(tx, bucketSessions)
		if err != nil {
			return err
		}
		// Drop this user's expired sessions so the bucket cannot grow forever.
		if err := deleteSessions(tx, func(r sessionRecord) bool {
			return r.owner(u.Tenant, u.Username) && !now.Before(r.expires())
		}); err != nil {
			return err
		}
		if err := evictSessions(tx, u.Tenant, u.Username, MaxSessionsPerUser-1); err != nil {
			return err
		}
		return putJSON(b, tokenKey(token), rec)
	})
	if err != nil {
		return Session{}, User{}, err
	}
	return Session{Token: token, CSRFToken: csrf, ID: rec.ID, Created: now, Expires: rec.expires()}, u, nil
}

// cleanUserAgent keeps at most maxUserAgentLength printable ASCII bytes of
// a User-Agent header.
func cleanUserAgent(ua string) string {
	b := make([]byte, 0, min(len(ua), maxUserAgentLength))
	for i := 0; i < len(ua) && len(b) < maxUserAgentLength; i++ {
		if c := ua[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
		}
	}
	return string(b)
}

// Session returns the live session of token and its user, extending the
// idle deadline. It returns ErrSessionInvalid for unknown, expired or
// orphaned sessions.
func (s *Store) Session(token string) (Session, User, error) {
	if token == "" {
		return Session{}, User{}, ErrSessionInvalid
	}
	key := tokenKey(token)
	now := s.now().UTC()
	var rec sessionRecord
	var u userRecord
	err := s.view(func(tx kv.Tx) error {
		rec, u = sessionRecord{}, userRecord{}
		sessions, err := bucket(tx, bucketSessions)
		if err != nil {
			return err
		}
		users, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		if ok, err := getValid(sessions, key, &rec); err != nil || !ok {
			return cmp.Or(err, ErrSessionInvalid)
		}
		if ok, err := getValid(users, userDBKey(rec.Tenant, rec.Username), &u); err != nil || !ok {
			return cmp.Or(err, ErrSessionInvalid)
		}
		return nil
	})
	if err != nil {
		return Session{}, User{}, err
	}
	if !now.Before(rec.expires()) {
		_ = s.update(func(tx kv.Tx) error {
			b, err := bucket(tx, bucketSessions)
			if err != nil {
				return err
			}
			return b.Delete(key)
		})
		return Session{}, User{}, ErrSessionInvalid
	}
	if now.Sub(rec.LastSeen) >= sessionTouchInterval || rec.ID == "" {
		rec.LastSeen = now
		rec.ID = sessionID(token)
		err = s.update(func(tx kv.Tx) error {
			b, err := bucket(tx, bucketSessions)
			if err != nil {
				return err
			}
			if v, err := b.Get(key); err != nil || v == nil { // nil: logged out meanwhile
				return cmp.Or(err, ErrSessionInvalid)
			}
			return putJSON(b, key, rec)
		})
		if err != nil {
			return Session{}, User{}, err
		}
	}
	return Session{Token: token, CSRFToken: rec.CSRF, ID: rec.ID, Created: rec.Created, Expires: rec.expires()}, u.user(), nil
}

// Logout ends the session of token. Unknown tokens are not an error.
func (s *Store) Logout(token string) error {
	return s.update(func(tx kv.Tx) error {
		b, err := bucket(tx, bucketSessions)
		if err != nil {
			return err
		}
		return b.Delete(tokenKey(token))
	})
}

// deleteSessions removes every session for which match is true.
func deleteSessions(tx kv.Tx, match func(sessionRecord) bool) error {
	return deleteSessionsKeyed(tx, func(_ []byte, r sessionRecord) bool { return match(r) })
}

// deleteSessionsKeyed removes every session for which match (given the
// storage key) is true, and unreadable records.
func deleteSessionsKeyed(tx kv.Tx, match func([]byte, sessionRecord) bool) error {
	b, err := bucket(tx, bucketSessions)
	if err != nil {
		return err
	}
	var doomed [][]byte
	if err := forEach(b, collectSessions(&doomed, match)); err != nil {
		return err
	}
	return deleteKeys(b, doomed)
}

// collectSessions returns a walk function adding to doomed the keys of
// the sessions match accepts, and of unreadable records.
func collectSessions(doomed *[][]byte, match func([]byte, sessionRecord) bool) func(k, v []byte) error {
	return func(k, v []byte) error {
		var r sessionRecord
		if json.Unmarshal(v, &r) != nil || match(k, r) {
			*doomed = append(*doomed, bytes.Clone(k))
		}
		return nil
	}
}

// sweepPage is how many sessions one sweep transaction visits (and at
// most deletes: an etcd transaction holds at most 128 operations).
const sweepPage = 64

// sweepSessions deletes every expired session (and unreadable records),
// so sessions that are never used again do not pile up. It pages through
// the sessions, one short transaction per sweepPage records.
func (s *Store) sweepSessions() error {
	now := s.now()
	var after []byte
	for {
		var last []byte
		var done bool
		err := s.update(func(tx kv.Tx) error {
			b, err := bucket(tx, bucketSessions)
			if err != nil {
				return err
			}
			var doomed [][]byte
			last, done, err = walkPage(b, after, sweepPage, collectSessions(&doomed, func(_ []byte, r sessionRecord) bool {
				return !now.Before(r.expires())
			}))
			if err != nil {
				return err
			}
			return deleteKeys(b, doomed)
		})
		if err != nil || done {
			return err
		}
		after = last
	}
}
