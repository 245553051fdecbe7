package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MasterKeySize is the length of the AES-256 master key.
const MasterKeySize = 32

// LoadOrCreateMasterKey reads the 32-byte master key at path, or creates it
// from crypto/rand (mode 0600, parent directory 0700) when absent. An
// existing file may also hold the key as 64 hex digits (as written by
// "openssl rand -hex 32"), optionally followed by a newline.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		return parseMasterKey(path, key)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("auth: read master key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: create master key directory: %w", err)
	}
	key = make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	err = CreateSecretFile(path, key)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateMasterKey(path) // lost a race with another creator
	}
	if err != nil {
		return nil, fmt.Errorf("auth: create master key: %w", err)
	}
	return key, nil
}

// CreateSecretFile writes data to a new file at path, readable by its owner
// only (0600), and syncs it. It never replaces a file (fs.ErrExist: another
// creator won), and never leaves a partial one behind, which later starts
// would read as the secret: a failed removal is reported with the error.
func CreateSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close(), os.Remove(path))
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close(), os.Remove(path))
	}
	return f.Close()
}

// parseMasterKey accepts 32 raw bytes or 64 hex digits.
func parseMasterKey(path string, data []byte) ([]byte, error) {
	if len(data) == MasterKeySize {
		return data, nil
	}
	if text := bytes.TrimSpace(data); len(text) == 2*MasterKeySize {
		key := make([]byte, MasterKeySize)
		if _, err := hex.Decode(key, text); err == nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("auth: master key file %s must hold %d raw bytes or %d hex digits", path, MasterKeySize, 2*MasterKeySize)
}
