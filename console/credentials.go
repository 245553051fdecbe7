package console

import (
	"errors"
	"net/http"

	"github.com/cofferstore/coffer/auth"
)

func keyInfo(k auth.KeyInfo) KeyInfoJSON {
	out := KeyInfoJSON{AccessKey: k.AccessKey, Created: k.Created}
	if !k.LastUsed.IsZero() {
		lu := k.LastUsed
		out.LastUsed = &lu
	}
	return out
}

// Credential actions shared by the tenant API and the operator API.

// showKey answers the tenant's key pair (never its secret), or 404 when it
// has none. With ?optional=true having none is an answer, 200 null: the
// console pages ask so, because a browser logs every 404 in its console and
// a tenant without keys yet is not an error.
func (s *server) showKey(w http.ResponseWriter, r *http.Request, tenant string) error {
	k, err := s.auth.GetKey(tenant)
	if errors.Is(err, auth.ErrNoCredential) && r.URL.Query().Get("optional") == "true" {
		return writeJSON(w, http.StatusOK, nil)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyInfo(k))
}

func (s *server) generateKey(w http.ResponseWriter, r *http.Request, tenant string) error {
	c, err := s.auth.GenerateKey(tenant)
	if err != nil {
		return err
	}
	s.audit(r, tenant, "credentials.generate", c.AccessKey)
	return writeJSON(w, http.StatusCreated, NewKeyJSON{AccessKey: c.AccessKey, SecretKey: c.SecretKey, Created: c.Created})
}

func (s *server) rotateKey(w http.ResponseWriter, r *http.Request, tenant string) error {
	old, _ := s.auth.GetKey(tenant)
	c, err := s.auth.RotateKey(tenant)
	if err != nil {
		return err
	}
	s.audit(r, tenant, "credentials.rotate", old.AccessKey+" -> "+c.AccessKey)
	return writeJSON(w, http.StatusOK, NewKeyJSON{AccessKey: c.AccessKey, SecretKey: c.SecretKey, Created: c.Created})
}

func (s *server) deleteKey(w http.ResponseWriter, r *http.Request, tenant string) error {
	old, _ := s.auth.GetKey(tenant)
	if err := s.auth.DeleteKey(tenant); err != nil {
		return err
	}
	s.audit(r, tenant, "credentials.delete", old.AccessKey)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Tenant API: the tenant is the session's, never a parameter.

func (s *server) getCredentials(w http.ResponseWriter, r *http.Request) error {
	return s.showKey(w, r, principalFrom(r).User.Tenant)
}

func (s *server) generateCredentials(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	return s.generateKey(w, r, tenant)
}

func (s *server) rotateCredentials(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	return s.rotateKey(w, r, tenant)
}

// deleteCredentials works even for a suspended tenant: revoking access is
// always allowed.
func (s *server) deleteCredentials(w http.ResponseWriter, r *http.Request) error {
	return s.deleteKey(w, r, principalFrom(r).User.Tenant)
}
