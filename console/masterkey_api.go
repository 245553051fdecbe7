package console

import (
	"errors"
	"net/http"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/masterkey"
)

// MasterKeyRotator rotates the server's master key
// (internal/masterkey.Rotator).
type MasterKeyRotator interface {
	Rotate() (masterkey.Status, error)
	Status() masterkey.Status
}

// rotateMasterKey handles POST /api/admin/master-key/rotate: it starts a
// rotation in the background and answers 202 with its status (key ids,
// never key bytes); GET /api/admin/master-key follows it.
func (s *server) rotateMasterKey(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.MasterKey == nil {
		return errorf(http.StatusServiceUnavailable, "master-key rotation is not available on this server")
	}
	st, err := s.cfg.MasterKey.Rotate()
	switch {
	case errors.Is(err, masterkey.ErrRunning):
		return errorf(http.StatusConflict, "a master-key rotation is already running; follow it with `coffer admin master-key status`")
	case errors.Is(err, auth.ErrKeyRingInMemory):
		return errorf(http.StatusConflict, "this server has no master key file to record a new key in")
	case err != nil:
		return err
	}
	s.audit(r, "", "master-key.rotate", "current="+st.Current)
	return writeJSON(w, http.StatusAccepted, st)
}

// masterKeyStatus handles GET /api/admin/master-key.
func (s *server) masterKeyStatus(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.MasterKey == nil {
		return errorf(http.StatusServiceUnavailable, "master-key rotation is not available on this server")
	}
	return writeJSON(w, http.StatusOK, s.cfg.MasterKey.Status())
}
