package auth

import (
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestStoreOptionsBcryptCost checks the cost option reaches stored hashes and
// that a store without options hashes at bcrypt.DefaultCost.
func TestStoreOptionsBcryptCost(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		want int
	}{
		{"default", nil, bcrypt.DefaultCost},
		{"min", []Option{WithBcryptCost(bcrypt.MinCost)}, bcrypt.MinCost},
		{"six", []Option{WithBcryptCost(6)}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := openTestStoreExactly(t, tc.opts...)
			if err := s.CreateUser("acme", "alice", "correct-horse-battery", RoleTenant); err != nil {
				t.Fatal(err)
			}
			u, ok, err := s.getUser("acme", "alice")
			if err != nil || !ok {
				t.Fatalf("getUser: %v %v", ok, err)
			}
			if got, err := bcrypt.Cost(u.Hash); err != nil || got != tc.want {
				t.Fatalf("hash cost %d (%v), want %d", got, err, tc.want)
			}
		})
	}
}

// openTestStoreExactly opens a store with exactly opts (no fast hashing added).
func openTestStoreExactly(t *testing.T, opts ...Option) (*Store, string, []byte) {
	t.Helper()
	dir := t.TempDir()
	key, err := LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "auth.db")
	s, err := OpenStore(path, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path, key
}
