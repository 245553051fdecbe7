package auth

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/internal/kv"
)

// TestKeyRingFileFormats: a one-key file of either earlier format is a ring
// of one; bad files are refused; a ring of one is written as earlier
// versions read it.
func TestKeyRingFileFormats(t *testing.T) {
	dir := t.TempDir()
	raw := bytes.Repeat([]byte{1}, 32)
	two := bytes.Repeat([]byte{2}, 32)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, data := range map[string][]byte{
		"raw": raw, "hex": []byte(hex.EncodeToString(raw) + "\n"),
	} {
		r, err := LoadKeyRing(write(name, data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := NewKeyRing(raw)
		if !slices.Equal(r.IDs(), want.IDs()) || len(r.IDs()) != 1 {
			t.Fatalf("%s: ids %v, want %v", name, r.IDs(), want.IDs())
		}
	}
	ring := hex.EncodeToString(two) + "\n" + hex.EncodeToString(raw) + "\n"
	r, err := LoadKeyRing(write("two", []byte(ring)))
	if err != nil {
		t.Fatal(err)
	}
	if ids := r.IDs(); len(ids) != 2 || r.Current().ID() != ids[0] {
		t.Fatalf("two-key ring: %v", ids)
	}
	for name, data := range map[string]string{
		"badhex": strings.Repeat("zz", 32) + "\n" + hex.EncodeToString(raw),
		"short":  hex.EncodeToString(raw) + "\n" + hex.EncodeToString(raw[:31]),
		"repeat": hex.EncodeToString(raw) + "\n" + hex.EncodeToString(raw),
		"many":   strings.Repeat(hex.EncodeToString(raw)+"\n", maxRingKeys+1),
	} {
		if _, err := LoadKeyRing(write(name, []byte(data))); err == nil {
			t.Errorf("%s: loaded", name)
		} else if strings.Contains(err.Error(), hex.EncodeToString(raw)[:16]) {
			t.Errorf("%s: the error shows key bytes: %v", name, err)
		}
	}
	if err := r.Retire(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "two"))
	if got, err := parseMasterKey("x", data); err != nil || !bytes.Equal(got, two) {
		t.Fatalf("a retired ring is not a one-key file: %q %v", data, err)
	}
	if _, err := (&KeyRing{keys: r.keys}).AddKey(); err != ErrKeyRingInMemory {
		t.Fatalf("in-memory AddKey: %v", err)
	}
}

// putLegacySecret stores a credential the way stores before key ids did:
// AES-GCM under the raw master key, no "kid".
func putLegacySecret(t *testing.T, s *Store, tenant, ak, secret string) {
	t.Helper()
	k := s.ring.current()
	nonce := make([]byte, k.legacy.NonceSize())
	sealed := k.legacy.Seal(nonce, nonce, []byte(secret), secretAAD(tenant, ak))
	err := s.update(func(tx kv.Tx) error {
		creds, _ := tx.Bucket(bucketCredentials)
		keys, _ := tx.Bucket(bucketAccessKeys)
		if err := putJSON(creds, []byte(tenant), credentialRecord{AccessKey: ak, Sealed: sealed}); err != nil {
			return err
		}
		return keys.Put([]byte(ak), []byte(tenant))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReSealSecrets: a rotation's auth half. Secrets sealed before key ids
// and under the old key read while both keys are in the ring, ReSealSecrets
// moves them all to the new key in batches (resumable: a second run finds
// nothing), and after the old key is retired every secret still reads,
// from a store reopened from the file.
func TestReSealSecrets(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	ring, err := LoadKeyRing(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	oldID := ring.IDs()[0]
	dbPath := filepath.Join(dir, "auth.db")
	s, err := OpenStoreRing(dbPath, ring, fastHash)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{} // access key -> secret
	const tenants = 3*resealBatch + 5
	for i := range tenants {
		c, err := s.GenerateKey(fmt.Sprintf("t%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		secrets[c.AccessKey] = c.SecretKey
	}
	putLegacySecret(t, s, "legacy", "LEGACYACCESSKEY00001", "legacy-secret")
	secrets["LEGACYACCESSKEY00001"] = "legacy-secret"

	newID, err := ring.AddKey()
	if err != nil || newID == oldID {
		t.Fatalf("AddKey: %q %v", newID, err)
	}
	if data, _ := os.ReadFile(keyFile); bytes.Count(data, []byte("\n")) != 2 {
		t.Fatalf("the key file does not hold both keys")
	}
	s.Close()
	// A restart between AddKey and the re-seal (the crash case) reads all.
	ring, err = LoadKeyRing(keyFile)
	if err != nil || !slices.Equal(ring.IDs(), []string{newID, oldID}) {
		t.Fatalf("reloaded ring %v: %v", ring.IDs(), err)
	}
	s, err = OpenStoreRing(dbPath, ring, fastHash)
	if err != nil {
		t.Fatal(err)
	}
	checkSecrets(t, s, secrets)
	c, err := s.GenerateKey("fresh")
	if err != nil {
		t.Fatal(err)
	}
	secrets[c.AccessKey] = c.SecretKey

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := s.ReSealSecrets(ctx); err == nil || n != 0 {
		t.Fatalf("cancelled re-seal: %d, %v", n, err)
	}
	n, err := s.ReSealSecrets(context.Background())
	if err != nil || n != tenants+1 {
		t.Fatalf("re-sealed %d (want %d): %v", n, tenants+1, err)
	}
	if n, err := s.ReSealSecrets(context.Background()); err != nil || n != 0 {
		t.Fatalf("second run re-sealed %d: %v", n, err)
	}
	counts, err := s.SecretsByKey()
	if err != nil || len(counts) != 1 || counts[newID] != tenants+2 {
		t.Fatalf("secrets by key: %v %v", counts, err)
	}
	if err := ring.Retire(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ring, err = LoadKeyRing(keyFile)
	if err != nil || !slices.Equal(ring.IDs(), []string{newID}) {
		t.Fatalf("ring after retire %v: %v", ring.IDs(), err)
	}
	s, err = OpenStoreRing(dbPath, ring, fastHash)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkSecrets(t, s, secrets)
}

func checkSecrets(t *testing.T, s *Store, secrets map[string]string) {
	t.Helper()
	for ak, want := range secrets {
		if _, got, err := s.LookupSecret(ak); err != nil || got != want {
			t.Fatalf("secret of %s: %v", ak, err)
		}
	}
}

func FuzzParseKeyRing(f *testing.F) {
	f.Add([]byte(strings.Repeat("ab", 32) + "\n" + strings.Repeat("cd", 32)))
	f.Add(bytes.Repeat([]byte{9}, 32))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseKeyRing("f", data)
		if err != nil {
			return
		}
		if len(keys) == 0 || len(keys) > maxRingKeys {
			t.Fatalf("%d keys", len(keys))
		}
		for _, k := range keys {
			if len(k) != MasterKeySize {
				t.Fatalf("key of %d bytes", len(k))
			}
		}
	})
}
