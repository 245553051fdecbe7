package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/internal/masterkey"
)

// TestAdminMasterKey rotates the master key through `coffer admin
// master-key rotate` against a real server: the key file then holds one
// new key, the tenant's key pair still works, status shows ids and never
// key bytes.
func TestAdminMasterKey(t *testing.T) {
	srv := startTestServer(t)
	c := cli{t: t, srv: srv}
	c.ok("tenant", "create", "acme")
	var cred struct{ AccessKey, SecretKey string }
	if err := json.Unmarshal([]byte(c.ok("keys", "generate", "acme")), &cred); err != nil {
		t.Fatal(err)
	}
	var before masterkey.Status
	if err := json.Unmarshal([]byte(c.ok("master-key", "status", "--json")), &before); err != nil {
		t.Fatal(err)
	}
	keyFile := before.KeyFile
	oldFile, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Current) != 16 || len(before.Retiring) != 0 || before.SecretsByKey[before.Current] != 1 {
		t.Fatalf("status before: %+v", before)
	}
	contains(t, c.ok("master-key", "status"), "No rotation since the server started", "status")

	out := c.ok("master-key", "rotate")
	contains(t, out, "Last rotation done", "rotate")
	contains(t, out, "1 tenant secrets", "rotate")
	var after masterkey.Status
	if err := json.Unmarshal([]byte(c.ok("master-key", "status", "--json")), &after); err != nil {
		t.Fatal(err)
	}
	if after.Current == before.Current || len(after.Retiring) != 0 || after.SecretsByKey[after.Current] != 1 || after.Phase != "done" {
		t.Fatalf("status after: %+v", after)
	}
	newFile, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Fields(string(newFile)); len(lines) != 1 || strings.Contains(string(newFile), strings.TrimSpace(string(oldFile))) {
		t.Fatalf("key file after the rotation holds %d keys or the old one", len(lines))
	}
	if _, secret, err := srv.Auth.LookupSecret(cred.AccessKey); err != nil || secret != cred.SecretKey {
		t.Fatalf("key pair after the rotation: %v", err)
	}
	// No output ever holds key bytes.
	for _, o := range []string{out, c.ok("master-key", "status"), c.ok("master-key", "status", "--json")} {
		for _, k := range [][]byte{oldFile, newFile} {
			if h := strings.TrimSpace(string(k)); strings.Contains(o, h[:16]) || strings.Contains(o, hex.EncodeToString(k)[:16]) {
				t.Fatalf("key bytes in the output:\n%s", o)
			}
		}
	}
	contains(t, c.ok("master-key", "rotate", "--no-wait"), "KEY ID", "rotate --no-wait")
}
