package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// Role is what a console user may do.
type Role string

// The console roles.
const (
	RoleOperator Role = "operator"
	RoleTenant   Role = "tenant"
)

// OperatorUsername is the operator account EnsureOperator creates.
const OperatorUsername = "admin"

// MinPasswordLength is the shortest password CreateUser and SetPassword accept.
const MinPasswordLength = 8

// maxPasswordLength is bcrypt's input limit.
const maxPasswordLength = 72

// ErrInvalidUsername is returned when a username is empty, too long or holds
// characters other than letters, digits and . _ @ -.
var ErrInvalidUsername = errors.New("auth: invalid username")

// User is a console user. Operators have no tenant.
type User struct {
	Username string
	Tenant   string
	Role     Role
	Created  time.Time
}

type userRecord struct {
	Username string    `json:"username"`
	Tenant   string    `json:"tenant,omitempty"`
	Role     Role      `json:"role"`
	Hash     []byte    `json:"hash"`
	Created  time.Time `json:"created"`
}

func (u userRecord) user() User {
	return User{Username: u.Username, Tenant: u.Tenant, Role: u.Role, Created: u.Created}
}

func validUsername(name string) error {
	if name == "" || len(name) > 64 {
		return ErrInvalidUsername
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isUnreserved(c) || c == '@') {
			return ErrInvalidUsername
		}
	}
	return nil
}

func (s *Store) hashPassword(password string) ([]byte, error) {
	if len(password) < MinPasswordLength {
		return nil, ErrWeakPassword
	}
	if len(password) > maxPasswordLength {
		return nil, fmt.Errorf("auth: password longer than %d bytes", maxPasswordLength)
	}
	return bcrypt.GenerateFromPassword([]byte(password), s.opts.bcryptCost)
}

// EnsureOperator creates the operator account "admin" with password unless
// it exists; an existing operator keeps its password.
func (s *Store) EnsureOperator(password string) (created bool, err error) {
	err = s.CreateUser("", OperatorUsername, password, RoleOperator)
	if errors.Is(err, ErrUserExists) {
		return false, nil
	}
	return err == nil, err
}

// CreateUser adds a console user. Tenant users need a tenant; operators have
// none. It returns ErrUserExists, ErrInvalidUsername or ErrWeakPassword.
func (s *Store) CreateUser(tenant, username, password string, role Role) error {
	if err := validUsername(username); err != nil {
		return err
	}
	switch role {
	case RoleOperator:
		tenant = ""
	case RoleTenant:
		if err := validTenant(tenant); err != nil {
			return err
		}
	default:
		return fmt.Errorf("auth: unknown role %q", truncate(string(role)))
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		if b.Get([]byte(username)) != nil {
			return ErrUserExists
		}
		return putJSON(b, []byte(username), userRecord{
			Username: username, Tenant: tenant, Role: role, Hash: hash, Created: s.now().UTC(),
		})
	})
}

// SetPassword replaces a user's password and ends the user's sessions. It
// returns ErrUserNotFound or ErrWeakPassword.
func (s *Store) SetPassword(username, password string) error {
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		var u userRecord
		ok, err := getJSON(b, []byte(username), &u)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUserNotFound
		}
		u.Hash = hash
		if err := putJSON(b, []byte(username), u); err != nil {
			return err
		}
		return deleteSessions(tx, func(r sessionRecord) bool { return r.Username == username })
	})
}

// DeleteUser removes a user and the user's sessions. It returns
// ErrUserNotFound.
func (s *Store) DeleteUser(username string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		if b.Get([]byte(username)) == nil {
			return ErrUserNotFound
		}
		if err := b.Delete([]byte(username)); err != nil {
			return err
		}
		return deleteSessions(tx, func(r sessionRecord) bool { return r.Username == username })
	})
}

// ListUsers returns the users of a tenant sorted by name; tenant "" lists
// every user, operators included.
func (s *Store) ListUsers(tenant string) ([]User, error) {
	var out []User
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
			var u userRecord
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			if tenant == "" || u.Tenant == tenant {
				out = append(out, u.user())
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out, err
}

// getUser reads one user record.
func (s *Store) getUser(username string) (userRecord, bool, error) {
	var u userRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketUsers), []byte(username), &u)
		return err
	})
	return u, ok, err
}

// CheckPassword verifies a username and password (HTTP Basic auth for the
// operator CLI), throttled like Login. While the (user, address) pair or the
// address must wait after failures it returns a *RateLimitError (wrapping
// ErrRateLimited) without looking at the password; otherwise ErrBadPassword
// (also for unknown users) or the user.
func (s *Store) CheckPassword(username, password, remoteIP string) (User, error) {
	if err := s.limiter.check(username, remoteIP); err != nil {
		return User{}, err
	}
	u, ok, err := s.getUser(username)
	if err != nil {
		return User{}, err
	}
	hash := s.dummyHash()
	if ok {
		hash = u.Hash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !ok {
		s.limiter.fail(username, remoteIP)
		return User{}, ErrBadPassword
	}
	s.limiter.succeed(username, remoteIP)
	return u.user(), nil
}
