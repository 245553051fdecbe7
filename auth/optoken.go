package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
)

// MinOperatorTokenLength is the shortest operator API token SetOperatorToken
// accepts; generated tokens are 43 characters (256 random bits).
const MinOperatorTokenLength = 32

// ErrBadToken is returned when an operator API token is wrong, or none is set.
var ErrBadToken = errors.New("auth: invalid operator API token")

// GenerateToken returns a new random token (256 bits, base64url) for the
// operator API or a metrics scrape.
func GenerateToken() (string, error) { return randomToken() }

// SetOperatorToken sets the API token that authenticates as the operator
// without the password (the admin CLI's --token). Only its SHA-256 is kept.
func (s *Store) SetOperatorToken(token string) error {
	if len(token) < MinOperatorTokenLength {
		return fmt.Errorf("auth: operator API token must be at least %d characters", MinOperatorTokenLength)
	}
	sum := sha256.Sum256([]byte(token))
	s.tokenMu.Lock()
	s.tokenSum = &sum
	s.tokenMu.Unlock()
	return nil
}

// CheckOperatorToken authenticates an operator API token and returns the
// operator. It is never throttled: a 256-bit token cannot be guessed, and so
// the operator keeps access even while others fail logins from the same
// address. A wrong token counts as a failure of remoteIP only, so spraying
// tokens also slows password guessing from that address.
func (s *Store) CheckOperatorToken(token, remoteIP string) (User, error) {
	got := sha256.Sum256([]byte(token))
	s.tokenMu.RLock()
	want := s.tokenSum
	s.tokenMu.RUnlock()
	if want == nil || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		s.limiter.failAddress(remoteIP)
		return User{}, ErrBadToken
	}
	u, ok, err := s.getUser("", OperatorUsername)
	if err != nil {
		return User{}, err
	}
	if !ok || u.Role != RoleOperator {
		return User{}, ErrBadToken
	}
	return u.user(), nil
}
