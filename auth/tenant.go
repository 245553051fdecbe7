package auth

import (
	"encoding/json"
	"errors"

	"github.com/cofferstore/coffer/internal/kv"
)

// DeleteTenant removes everything auth holds for a tenant: its key pair
// (effective at once), its console users and their sessions. Audit events
// stay. Deleting a tenant with nothing stored is not an error.
func (s *Store) DeleteTenant(tenant string) error {
	if err := validTenant(tenant); err != nil {
		return err
	}
	s.credMu.Lock()
	defer s.credMu.Unlock()
	var oldKey string
	err := s.update(func(tx kv.Tx) error {
		var err error
		oldKey, err = deleteCredential(tx, tenant)
		if err != nil && !errors.Is(err, ErrNoCredential) {
			return err
		}
		users, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		var doomed [][]byte
		err = forEach(users, func(k, v []byte) error {
			var u userRecord
			if jsonErr := json.Unmarshal(v, &u); jsonErr == nil && u.Tenant == tenant && u.Role == RoleTenant {
				doomed = append(doomed, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := deleteKeys(users, doomed); err != nil {
			return err
		}
		return deleteSessions(tx, func(r sessionRecord) bool { return r.Tenant == tenant })
	})
	if err == nil && oldKey != "" {
		s.forget(tenant, oldKey)
	}
	return err
}
