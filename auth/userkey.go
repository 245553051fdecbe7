package auth

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/cofferstore/coffer/internal/kv"
)

// Console usernames are unique per tenant: tenants "acme" and "globex" may
// both have an "alice". Operators have no tenant, and their names are
// reserved across every tenant, so a bare operator name (the CLI's HTTP
// Basic login) is never ambiguous.
//
// The users bucket keys an operator by its name and a tenant user by
// "tenant/name" (usernames hold no '/'). Stores written before per-tenant
// names keyed everyone by the bare name; OpenStore moves those records
// (migrateUserKeys), so old stores keep working.

// maxLoginCandidates bounds the users one login name may match (the same
// name in several tenants) and so the password hashes compared per attempt.
const maxLoginCandidates = 8

// userKey is the users-bucket key of a user.
func userDBKey(tenant, username string) []byte {
	if tenant == "" {
		return []byte(username)
	}
	return []byte(tenant + "/" + username)
}

// SplitLoginName splits "user@tenant" at its last '@'. ok is false when
// name holds no '@' or either side is empty.
func SplitLoginName(name string) (username, tenant string, ok bool) {
	i := strings.LastIndexByte(name, '@')
	if i <= 0 || i == len(name)-1 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// loginLimitKey is the name failed logins count against: the name as typed,
// with the tenant when it was named apart.
func loginLimitKey(tenant, username string) string {
	if tenant == "" {
		return username
	}
	return username + "@" + tenant
}

// migrateUserKeys re-keys user records written under the old layout (bare
// username for everyone). Records already under their key are left alone,
// so it is a no-op on every open after the first.
func migrateUserKeys(tx kv.Tx) error {
	b, err := bucket(tx, bucketUsers)
	if err != nil {
		return err
	}
	type move struct{ from, to, val []byte }
	var moves []move
	err = forEach(b, func(k, v []byte) error {
		var u userRecord
		if json.Unmarshal(v, &u) != nil {
			return nil // unreadable records stay where they are
		}
		if want := userDBKey(u.Tenant, u.Username); string(want) != string(k) {
			moves = append(moves, move{append([]byte(nil), k...), want, append([]byte(nil), v...)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range moves {
		if err := b.Delete(m.from); err != nil {
			return err
		}
		if err := b.Put(m.to, m.val); err != nil {
			return err
		}
	}
	return nil
}

// loginCandidates returns the users a login may mean: with tenant set, that
// tenant's user only; otherwise every user named name (operators and tenant
// users) and, when name is "user@tenant", that tenant's user. At most
// maxLoginCandidates+1, enough to tell "too many".
func loginCandidates(tx kv.Tx, tenant, name string) ([]userRecord, error) {
	b, err := bucket(tx, bucketUsers)
	if err != nil {
		return nil, err
	}
	var out []userRecord
	add := func(key []byte) error {
		var u userRecord
		ok, err := getJSON(b, key, &u)
		if err != nil || !ok {
			return err
		}
		for _, c := range out {
			if c.Tenant == u.Tenant && c.Username == u.Username {
				return nil
			}
		}
		out = append(out, u)
		return nil
	}
	if tenant != "" {
		return out, add(userDBKey(tenant, name))
	}
	if err := add(userDBKey("", name)); err != nil {
		return nil, err
	}
	err = forEach(b, func(k, v []byte) error {
		if len(out) > maxLoginCandidates {
			return errStopWalk
		}
		// Cheap test before decoding: a tenant user's key ends in "/name".
		if !strings.HasSuffix(string(k), "/"+name) {
			return nil
		}
		var u userRecord
		if json.Unmarshal(v, &u) == nil && u.Username == name && u.Tenant != "" {
			return add(k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		return nil, err
	}
	if user, t, ok := SplitLoginName(name); ok && len(out) <= maxLoginCandidates {
		if err := add(userDBKey(t, user)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// operatorNamed reports whether an operator named username exists.
func operatorNamed(tx kv.Tx, username string) (bool, error) {
	b, err := bucket(tx, bucketUsers)
	if err != nil {
		return false, err
	}
	var u userRecord
	ok, err := getJSON(b, userDBKey("", username), &u)
	return ok && u.Role == RoleOperator, err
}

// tenantUserNamed reports whether any tenant has a user named username.
func tenantUserNamed(tx kv.Tx, username string) (bool, error) {
	b, err := bucket(tx, bucketUsers)
	if err != nil {
		return false, err
	}
	found := false
	err = forEach(b, func(k, _ []byte) error {
		if strings.HasSuffix(string(k), "/"+username) {
			found = true
			return errStopWalk
		}
		return nil
	})
	if errors.Is(err, errStopWalk) {
		err = nil
	}
	return found, err
}
