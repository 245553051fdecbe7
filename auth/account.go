package auth

import (
	"cmp"
	"encoding/json"
	"sort"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cofferstore/coffer/internal/kv"
)

// SessionInfo describes one of a user's sessions for the session list. It
// carries the session's public ID, never its token or storage key.
type SessionInfo struct {
	ID        string
	Created   time.Time
	LastSeen  time.Time
	Expires   time.Time
	IP        string
	UserAgent string
}

// userSession is a live session of one user with its storage key.
type userSession struct {
	key []byte
	rec sessionRecord
}

// liveSessions returns the user's unexpired sessions, most recently used first.
func liveSessions(tx kv.Tx, tenant, username string, now time.Time) ([]userSession, error) {
	b, err := bucket(tx, bucketSessions)
	if err != nil {
		return nil, err
	}
	var out []userSession
	err = forEach(b, func(k, v []byte) error {
		var r sessionRecord
		if json.Unmarshal(v, &r) == nil && r.owner(tenant, username) && now.Before(r.expires()) {
			out = append(out, userSession{append([]byte(nil), k...), r})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].rec.LastSeen.After(out[j].rec.LastSeen) })
	return out, err
}

// evictSessions ends the user's least recently used sessions until at most
// keep remain.
func evictSessions(tx kv.Tx, tenant, username string, keep int) error {
	live, err := liveSessions(tx, tenant, username, time.Time{})
	if err != nil || len(live) <= keep {
		return err
	}
	b, err := bucket(tx, bucketSessions)
	if err != nil {
		return err
	}
	for _, us := range live[keep:] {
		if err := b.Delete(us.key); err != nil {
			return err
		}
	}
	return nil
}

// Sessions lists the live sessions of tenant's user username (tenant "" for
// an operator), most recently used first.
func (s *Store) Sessions(tenant, username string) ([]SessionInfo, error) {
	now := s.now().UTC()
	var live []userSession
	err := s.view(func(tx kv.Tx) error {
		var err error
		live, err = liveSessions(tx, tenant, username, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, 0, len(live))
	for _, us := range live {
		id := us.rec.ID
		if id == "" {
			id = keyID(us.key)
		}
		out = append(out, SessionInfo{
			ID: id, Created: us.rec.Created, LastSeen: us.rec.LastSeen, Expires: us.rec.expires(),
			IP: us.rec.IP, UserAgent: us.rec.UserAgent,
		})
	}
	return out, nil
}

// LogoutOthers ends every session of the user of the session token but
// that one, and returns how many ended.
func (s *Store) LogoutOthers(token string) (int, error) {
	keep := tokenKey(token)
	n := 0
	err := s.update(func(tx kv.Tx) error {
		n = 0
		b, err := bucket(tx, bucketSessions)
		if err != nil {
			return err
		}
		var me sessionRecord
		if ok, err := getValid(b, keep, &me); err != nil || !ok {
			return cmp.Or(err, ErrSessionInvalid)
		}
		return deleteSessionsKeyed(tx, func(k []byte, r sessionRecord) bool {
			other := r.owner(me.Tenant, me.Username) && string(k) != string(keep)
			if other {
				n++
			}
			return other
		})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ChangePassword is a user changing their own password in the session of
// token: the current password must be right (checked and throttled like a
// login: ErrBadPassword, *RateLimitError), the new one must satisfy the
// rules (ErrWeakPassword), and every other session of the user ends while
// this one stays.
func (s *Store) ChangePassword(token, current, next, remoteIP string) error {
	_, u, err := s.Session(token)
	if err != nil {
		return err
	}
	limitKey := loginLimitKey(u.Tenant, u.Username)
	if err := s.limiter.check(limitKey, remoteIP); err != nil {
		return err
	}
	rec, ok, err := s.getUser(u.Tenant, u.Username)
	if err != nil {
		return err
	}
	if !ok {
		return ErrSessionInvalid
	}
	if bcrypt.CompareHashAndPassword(rec.Hash, []byte(current)) != nil {
		s.limiter.fail(limitKey, remoteIP)
		return ErrBadPassword
	}
	s.limiter.succeed(limitKey, remoteIP)
	return s.setPassword(u.Tenant, u.Username, next, string(tokenKey(token)))
}
