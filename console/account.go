package console

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cofferstore/coffer/auth"
)

// The account API: any logged-in console user (tenant user or operator)
// changes their own password and sees and ends their own sessions. It acts
// on the session's user only, never on a name in the request.

// passwordChange is the body of PUT /api/me/password.
type passwordChange struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// fieldError is a validation problem of one form field: the page shows the
// message beside the field it names.
func fieldError(status int, field, msg string) error {
	return &apiError{Status: status, Message: msg, Fields: map[string]any{"field": field}}
}

// checkNewPassword applies the rules auth enforces, one message each.
func checkNewPassword(current, next string) error {
	switch {
	case next == "":
		return fieldError(http.StatusBadRequest, "newPassword", "enter a new password")
	case len(next) < auth.MinPasswordLength:
		return fieldError(http.StatusBadRequest, "newPassword", fmt.Sprintf("the new password is too short: use at least %d characters", auth.MinPasswordLength))
	case len(next) > maxPasswordBytes:
		return fieldError(http.StatusBadRequest, "newPassword", fmt.Sprintf("the new password is too long: use at most %d bytes", maxPasswordBytes))
	case next == current:
		return fieldError(http.StatusBadRequest, "newPassword", "the new password must differ from the current one")
	}
	return nil
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r)
	var req passwordChange
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if req.CurrentPassword == "" {
		return fieldError(http.StatusBadRequest, "currentPassword", "enter your current password")
	}
	if err := checkNewPassword(req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	err := s.auth.ChangePassword(p.Session.Token, req.CurrentPassword, req.NewPassword, remoteIP(r))
	switch {
	case errors.Is(err, auth.ErrBadPassword):
		// 403, not 401: the session is fine, and a 401 would send the page to the login form.
		return &apiError{Status: http.StatusForbidden, Message: "the current password is wrong", Fields: map[string]any{"field": "currentPassword"}, cause: err}
	case errors.Is(err, auth.ErrWeakPassword):
		return fieldError(http.StatusBadRequest, "newPassword", fmt.Sprintf("the new password is too short: use at least %d characters", auth.MinPasswordLength))
	case err != nil:
		return err
	}
	s.audit(r, p.User.Tenant, "user.password.change", p.User.Username)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// SessionJSON is one of the caller's sessions. It names the session by its
// public ID: never its token, CSRF token or their hashes.
type SessionJSON struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	LastUsed  time.Time `json:"lastUsed"`
	Expires   time.Time `json:"expires"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"userAgent"` // shortened: "Firefox 120 on Linux"
	Current   bool      `json:"current"`
}

func (s *server) listSessions(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r)
	list, err := s.auth.Sessions(p.User.Tenant, p.User.Username)
	if err != nil {
		return err
	}
	out := make([]SessionJSON, 0, len(list))
	for _, si := range list {
		out = append(out, SessionJSON{
			ID: si.ID, Created: si.Created, LastUsed: si.LastSeen, Expires: si.Expires,
			IP: si.IP, UserAgent: shortUserAgent(si.UserAgent), Current: si.ID == p.Session.ID,
		})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sessions": out, "max": auth.MaxSessionsPerUser})
}

// logoutOthers ends every session of the caller but the current one.
func (s *server) logoutOthers(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r)
	n, err := s.auth.LogoutOthers(p.Session.Token)
	if err != nil {
		return err
	}
	s.audit(r, p.User.Tenant, "user.sessions.logout-others", fmt.Sprintf("%s: %d ended", p.User.Username, n))
	return writeJSON(w, http.StatusOK, map[string]int{"ended": n})
}
