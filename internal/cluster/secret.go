package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// SecretBytes is the size of the cluster secret that authenticates the
// internal drive protocol between nodes.
const SecretBytes = 32

// ReadSecret reads the cluster secret: SecretBytes random bytes, hex, in
// path (one line). A missing file is an error that says how to make one:
// a node never invents a secret, which the other nodes would not share.
func ReadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cluster: no cluster secret at %s: create it once (head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > %s; chmod 600 it) and copy the same file to every node", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: cluster secret: %w", err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(secret) != SecretBytes {
		return nil, fmt.Errorf("cluster: %s must hold %d bytes as hex (%d hex digits)", path, SecretBytes, 2*SecretBytes)
	}
	return secret, nil
}

// WriteSecret creates path (0600, exclusively) with a new random secret.
func WriteSecret(path string) error {
	b := make([]byte, SecretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cluster: cluster secret: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(b) + "\n")
	return errors.Join(err, f.Sync(), f.Close())
}
