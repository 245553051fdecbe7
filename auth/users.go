package auth

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cofferstore/coffer/internal/kv"
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
// none. Names are unique per tenant; an operator's name is reserved in every
// tenant (see userkey.go). It returns ErrUserExists, ErrInvalidUsername or
// ErrWeakPassword.
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
	return s.update(func(tx kv.Tx) error {
		b, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		key := userDBKey(tenant, username)
		if v, err := b.Get(key); err != nil || v != nil {
			return cmp.Or(err, ErrUserExists)
		}
		// An operator name is taken everywhere; an operator cannot take a
		// name a tenant user has.
		var clash bool
		if role == RoleOperator {
			clash, err = tenantUserNamed(tx, username)
		} else {
			clash, err = operatorNamed(tx, username)
		}
		if err != nil {
			return err
		}
		if clash {
			return ErrUserExists
		}
		return putJSON(b, key, userRecord{
			Username: username, Tenant: tenant, Role: role, Hash: hash, Created: s.now().UTC(),
		})
	})
}

// SetPassword replaces a user's password (tenant "" for an operator) and
// ends the user's sessions. It returns ErrUserNotFound or ErrWeakPassword.
func (s *Store) SetPassword(tenant, username, password string) error {
	return s.setPassword(tenant, username, password, "")
}

// setPassword replaces a user's password and ends the user's sessions but
// the one stored under keepKey (none when empty).
func (s *Store) setPassword(tenant, username, password, keepKey string) error {
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	return s.update(func(tx kv.Tx) error {
		b, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		key := userDBKey(tenant, username)
		var u userRecord
		ok, err := getJSON(b, key, &u)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUserNotFound
		}
		u.Hash = hash
		if err := putJSON(b, key, u); err != nil {
			return err
		}
		return deleteSessionsKeyed(tx, func(k []byte, r sessionRecord) bool {
			return r.owner(tenant, username) && string(k) != keepKey
		})
	})
}

// DeleteUser removes a user (tenant "" for an operator) and the user's
// sessions. It returns ErrUserNotFound.
func (s *Store) DeleteUser(tenant, username string) error {
	return s.update(func(tx kv.Tx) error {
		b, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		key := userDBKey(tenant, username)
		if v, err := b.Get(key); err != nil || v == nil {
			return cmp.Or(err, ErrUserNotFound)
		}
		if err := b.Delete(key); err != nil {
			return err
		}
		return deleteSessions(tx, func(r sessionRecord) bool { return r.owner(tenant, username) })
	})
}

// ListUsers returns the users of a tenant sorted by name; tenant "" lists
// every user, operators included.
func (s *Store) ListUsers(tenant string) ([]User, error) {
	var out []User
	err := s.view(func(tx kv.Tx) error {
		out = nil
		b, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		return forEach(b, func(k, v []byte) error {
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

// getUser reads one user record (tenant "" for an operator).
func (s *Store) getUser(tenant, username string) (userRecord, bool, error) {
	var u userRecord
	var ok bool
	err := s.view(func(tx kv.Tx) error {
		u = userRecord{}
		b, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		ok, err = getJSON(b, userDBKey(tenant, username), &u)
		return err
	})
	return u, ok, err
}

// CheckPassword verifies a login name and password (HTTP Basic auth for the
// operator CLI), throttled like Login. The name is a bare username or
// "user@tenant" (see CheckTenantPassword). While the (name, address) pair
// or the address must wait after failures it returns a *RateLimitError
// (wrapping ErrRateLimited) without looking at the password; otherwise
// ErrBadPassword (also for unknown users), ErrAmbiguousUser, or the user.
func (s *Store) CheckPassword(username, password, remoteIP string) (User, error) {
	return s.CheckTenantPassword("", username, password, remoteIP)
}

// CheckTenantPassword is CheckPassword with the tenant named apart: with
// tenant set, only that tenant's user matches. Without it, a name held by
// one user matches that user, and "user@tenant" matches the tenant's user;
// when the password fits and several users match, ErrAmbiguousUser asks the
// caller to name the tenant. A wrong password never reveals ambiguity.
func (s *Store) CheckTenantPassword(tenant, username, password, remoteIP string) (User, error) {
	limitKey := loginLimitKey(tenant, username)
	if err := s.limiter.check(limitKey, remoteIP); err != nil {
		return User{}, err
	}
	var cands []userRecord
	err := s.view(func(tx kv.Tx) error {
		var err error
		cands, err = loginCandidates(tx, tenant, username)
		return err
	})
	if err != nil {
		return User{}, err
	}
	if len(cands) > maxLoginCandidates {
		cands = cands[:maxLoginCandidates]
	}
	var matched []userRecord
	for _, u := range cands {
		if bcrypt.CompareHashAndPassword(u.Hash, []byte(password)) == nil {
			matched = append(matched, u)
		}
	}
	if len(cands) == 0 {
		// A wrong username costs as much time as a wrong password.
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
	}
	switch {
	case len(matched) == 0:
		s.limiter.fail(limitKey, remoteIP)
		return User{}, ErrBadPassword
	case len(cands) > 1:
		return User{}, ErrAmbiguousUser
	}
	s.limiter.succeed(limitKey, remoteIP)
	return matched[0].user(), nil
}
