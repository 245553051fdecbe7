package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/s3api"
	"github.com/cofferstore/coffer/storage"
)

// withS3 starts the real S3 handler over the env's store and auth, and a
// second console whose public endpoint is it; it returns c bound to that
// console (same session) and the S3 URL.
func (e *testEnv) withS3(c *client) (*client, string) {
	e.t.Helper()
	v := auth.NewVerifier(e.auth, auth.VerifierOptions{Region: "us-east-1"})
	s3 := httptest.NewServer(s3api.New(s3api.Config{Store: e.store, Verifier: v, Region: "us-east-1"}))
	e.t.Cleanup(s3.Close)
	con := httptest.NewServer(console.New(console.Config{Store: e.store, Auth: e.auth, PublicEndpoint: s3.URL, Region: "us-east-1"}))
	e.t.Cleanup(con.Close)
	c2 := *c
	c2.base = con.URL
	return &c2, s3.URL
}

func fetch(t *testing.T, link string) (int, string) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestShareLinkFetch: a share link is a presigned GET the real S3 handler
// accepts, for odd keys and old versions too; it never carries the secret,
// it is refused past 7 days or without a key pair, and rotating the key
// revokes it.
func TestShareLinkFetch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seen := []byte{}
	c0 := e.tenant("acme", storage.Quota{})
	c0.seen = &seen
	c, s3URL := e.withS3(c0)
	c.do("POST", "/api/containers", map[string]string{"name": "pub"}).want(http.StatusCreated)
	key := "dir/ä b+c%20(1)~!.txt"
	e.putObject("acme", "pub", key, "shared bytes")
	share := map[string]any{"key": key, "expiresSeconds": 3600}
	c.do("POST", "/api/containers/pub/object/share", share).wantError(http.StatusConflict, "generate one on the Settings tab")

	var creds struct{ AccessKey, SecretKey string }
	c.do("POST", "/api/credentials", nil).want(http.StatusCreated).decode(&creds)
	seen = seen[:0]
	var link struct {
		URL       string
		AccessKey string
		Expires   time.Time
	}
	c.do("POST", "/api/containers/pub/object/share", share).want(http.StatusOK).decode(&link)
	if !strings.HasPrefix(link.URL, s3URL+"/pub/dir/") || link.AccessKey != creds.AccessKey ||
		time.Until(link.Expires) < 59*time.Minute || time.Until(link.Expires) > time.Hour+time.Minute {
		t.Fatalf("link %+v", link)
	}
	if strings.Contains(string(seen), creds.SecretKey) {
		t.Fatal("the share answer carries the secret key")
	}
	if st, body := fetch(t, link.URL); st != http.StatusOK || body != "shared bytes" {
		t.Fatalf("fetch: %d %q", st, body)
	}
	// Tampered: another key with the same signature is refused.
	bad := strings.Replace(link.URL, "/pub/dir/", "/pub/dix/", 1)
	if st, body := fetch(t, bad); st != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Fatalf("tampered link: %d %s", st, body)
	}

	// A version's link keeps serving that version after an overwrite.
	c.do("PUT", "/api/containers/pub/versioning", map[string]string{"state": "Enabled"}).want(http.StatusOK)
	o, err := e.store.PutObject(context.Background(), "acme", "pub", "v", strings.NewReader("first"), storage.PutOptions{Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	e.putObject("acme", "pub", "v", "second")
	c.do("POST", "/api/containers/pub/object/share", map[string]any{"key": "v", "versionId": o.VersionID, "expiresSeconds": 604800}).
		want(http.StatusOK).decode(&link)
	if u, _ := url.Parse(link.URL); u.Query().Get("X-Amz-Expires") != "604800" {
		t.Fatalf("expiry %s", link.URL)
	}
	// The signature (versionId included) is what the S3 verifier accepts.
	req, _ := http.NewRequest("GET", link.URL, nil)
	req.RequestURI = req.URL.RequestURI()
	if _, err := auth.NewVerifier(e.auth, auth.VerifierOptions{Region: "us-east-1"}).Verify(req, auth.Target{}); err != nil {
		t.Fatalf("version link rejected by the verifier: %v", err)
	}
	// s3api on this branch answers GET ?versionId= with NotImplemented
	// (versioned reads are another branch's work); once it serves it, the
	// link must return that version's bytes.
	if st, body := fetch(t, link.URL); !(st == http.StatusOK && body == "first") &&
		!(st == http.StatusNotImplemented && strings.Contains(body, "NotImplemented")) {
		t.Fatalf("version link: %d %q", st, body)
	}
	tampered := strings.Replace(link.URL, "versionId=", "versionId=x", 1)
	req, _ = http.NewRequest("GET", tampered, nil)
	if _, err := auth.NewVerifier(e.auth, auth.VerifierOptions{Region: "us-east-1"}).Verify(req, auth.Target{}); err == nil {
		t.Fatal("a link with another versionId verified")
	}
	c.do("POST", "/api/containers/pub/object/share", map[string]any{"key": "v", "expiresSeconds": 604801}).wantError(http.StatusBadRequest, "7 days")
	c.do("POST", "/api/containers/pub/object/share", map[string]any{"key": "v", "expiresSeconds": 0}).wantError(http.StatusBadRequest, "7 days")
	c.do("POST", "/api/containers/pub/object/share", map[string]any{"key": "gone", "expiresSeconds": 60}).wantError(http.StatusNotFound, "no object named gone")

	// Rotating the key pair revokes the link.
	c.do("POST", "/api/credentials/rotate", nil).want(http.StatusOK)
	if st, _ := fetch(t, link.URL); st != http.StatusForbidden {
		t.Fatalf("link after rotation: %d", st)
	}
	events, _ := e.auth.ListAudit("acme", 100)
	shared := 0
	for _, ev := range events {
		if ev.Action == "object.share" {
			shared++
		}
	}
	if shared != 2 {
		t.Fatalf("%d object.share audit events, want 2", shared)
	}
}
