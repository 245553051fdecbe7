package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cofferstore/coffer/auth"
)

// Token files in the data directory, each created 0600 on first start.
const (
	// OperatorTokenFile holds the operator API token (coffer admin --token-file).
	OperatorTokenFile = "operator.token"
	// MetricsTokenFile holds the bearer token Prometheus sends to /metrics.
	MetricsTokenFile = "metrics.token"
)

// loadOrCreateToken returns the token in path, first writing a new random
// one there (0600) when the file does not exist. The file is the source of
// truth: to rotate, replace or delete it and restart.
func loadOrCreateToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		tok := strings.TrimSpace(string(b))
		if len(tok) < auth.MinOperatorTokenLength {
			return "", fmt.Errorf("server: %s holds no token of at least %d characters", path, auth.MinOperatorTokenLength)
		}
		return tok, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("server: token file: %w", err)
	}
	tok, err := auth.GenerateToken()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("server: token file: %w", err)
	}
	// Exclusive: two servers starting on one data directory never both write.
	if err := auth.CreateSecretFile(path, []byte(tok+"\n")); err != nil {
		return "", fmt.Errorf("server: token file: %w", err)
	}
	return tok, nil
}

// setupTokens installs the operator API token and picks the metrics token:
// configured values win, otherwise each comes from (or is created in) its
// file under the data directory, whose path is recorded for the banner.
func (s *Server) setupTokens(cfg Config) (metricsToken string, err error) {
	opToken := cfg.OperatorToken
	if opToken == "" {
		s.OperatorTokenFile = filepath.Join(cfg.DataDir, OperatorTokenFile)
		if opToken, err = loadOrCreateToken(s.OperatorTokenFile); err != nil {
			return "", err
		}
	}
	if err := s.Auth.SetOperatorToken(opToken); err != nil {
		return "", fmt.Errorf("server: %w", err)
	}
	switch {
	case cfg.MetricsToken != "":
		return cfg.MetricsToken, nil
	case cfg.MetricsPublic:
		return "", nil
	}
	s.MetricsTokenFile = filepath.Join(cfg.DataDir, MetricsTokenFile)
	return loadOrCreateToken(s.MetricsTokenFile)
}
