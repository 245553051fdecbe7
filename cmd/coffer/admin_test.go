package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/internal/testutil"
)

const testPassword = "cli-test-operator-password"

func startTestServer(t *testing.T) *server.Server {
	t.Helper()
	srv, err := server.Start(context.Background(), server.Config{
		DataDir:        t.TempDir(),
		S3Address:      "127.0.0.1:0",
		ConsoleAddress: "127.0.0.1:0",
		AdminPassword:  testPassword,
		ScrubInterval:  -1,
	})
	if err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

// cli runs `coffer admin --server URL --password P args...` in-process.
type cli struct {
	t   *testing.T
	srv *server.Server
}

func (c cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"admin", "--server", c.srv.ConsoleURL, "--password", testPassword}, args...)
	code = exitCode(run(context.Background(), full, &out, &errb), &errb)
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed and returns its stdout.
func (c cli) ok(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("coffer admin %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// fails runs a command that must exit with code and returns its stderr.
func (c cli) fails(code int, args ...string) string {
	c.t.Helper()
	out, errs, got := c.run(args...)
	if got != code {
		c.t.Fatalf("coffer admin %s: exit %d, want %d (stdout %q, stderr %q)", strings.Join(args, " "), got, code, out, errs)
	}
	return errs
}

func contains(t *testing.T, s, sub, what string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%s: %q not in\n%s", what, sub, s)
	}
}

var keyJSONForm = regexp.MustCompile(`^\{"accessKey": "([A-Za-z0-9]{20})", "secretKey": "([^"]{40})"\}\n$`)

func TestAdminCLI(t *testing.T) {
	c := cli{t: t, srv: startTestServer(t)}

	out := c.ok("tenant", "create", "acme", "--quota-objects", "10", "--quota-bytes", "1GiB")
	contains(t, out, "Tenant acme created", "tenant create")
	contains(t, c.fails(1, "tenant", "create", "acme"), "(HTTP 409)", "duplicate tenant")
	contains(t, c.ok("tenant", "list"), "acme", "tenant list")
	contains(t, c.ok("tenant", "list"), "1 GiB", "tenant list shows the byte quota")

	var list struct {
		Tenants []struct {
			Name  string
			Quota struct{ Objects, Bytes int64 }
		}
	}
	if err := json.Unmarshal([]byte(c.ok("tenant", "list", "--json")), &list); err != nil || len(list.Tenants) != 1 ||
		list.Tenants[0].Name != "acme" || list.Tenants[0].Quota.Bytes != 1<<30 || list.Tenants[0].Quota.Objects != 10 {
		t.Fatalf("tenant list --json: %+v %v", list, err)
	}

	// set-quota changes only the limits it names.
	c.ok("tenant", "set-quota", "acme", "--bytes", "500MB")
	var show struct {
		Name      string
		Suspended bool
		Quota     struct{ Objects, Bytes int64 }
	}
	if err := json.Unmarshal([]byte(c.ok("tenant", "show", "acme", "--json")), &show); err != nil {
		t.Fatal(err)
	}
	if show.Quota.Bytes != 500_000_000 || show.Quota.Objects != 10 {
		t.Fatalf("after set-quota --bytes 500MB: %+v", show.Quota)
	}
	c.fails(2, "tenant", "set-quota", "acme")
	c.fails(2, "tenant", "set-quota", "acme", "--bytes", "lots")
	contains(t, c.ok("tenant", "show", "acme"), "Objects:      0 of 10", "tenant show")

	// Bucket and upload limits: the tenant's own, or the server default.
	contains(t, c.ok("tenant", "show", "acme"), "Containers:   0 of 1000 (server default)", "tenant show: default container limit")
	contains(t, c.ok("tenant", "show", "acme"), "Uploads:      0 of 1000 (server default)", "tenant show: default upload limit")
	c.ok("tenant", "set-quota", "acme", "--buckets", "2", "--uploads", "5")
	var limits struct {
		Quota struct{ Objects, Bytes, Buckets, Uploads int64 }
		Usage struct{ ContainerLimit, UploadLimit int64 }
	}
	if err := json.Unmarshal([]byte(c.ok("tenant", "show", "acme", "--json")), &limits); err != nil {
		t.Fatal(err)
	}
	if limits.Quota != (struct{ Objects, Bytes, Buckets, Uploads int64 }{10, 500_000_000, 2, 5}) ||
		limits.Usage.ContainerLimit != 2 || limits.Usage.UploadLimit != 5 {
		t.Fatalf("after set-quota --buckets 2 --uploads 5: %+v", limits)
	}
	contains(t, c.ok("tenant", "show", "acme"), "Containers:   0 of 2\n", "tenant show: own container limit")
	list2 := c.ok("tenant", "list")
	contains(t, list2, "0/2", "tenant list: containers used/limit")
	contains(t, list2, "0/5", "tenant list: uploads used/limit")
	c.ok("tenant", "set-quota", "acme", "--uploads", "0")
	contains(t, c.ok("tenant", "show", "acme"), "Uploads:      0 of 1000 (server default)", "set-quota --uploads 0: back to the default")
	contains(t, c.ok("tenant", "show", "acme"), "Containers:   0 of 2\n", "set-quota --uploads keeps the container limit")
	c.fails(2, "tenant", "set-quota", "acme", "--buckets", "-1")
	contains(t, c.ok("tenant", "create", "limited", "--quota-buckets", "3", "--quota-uploads", "4"), "buckets 3, uploads 4", "tenant create with limits")
	contains(t, c.ok("tenant", "show", "limited"), "Uploads:      0 of 4\n", "tenant created with an upload limit")

	// Keys: exact JSON form, 409 on a second generate, secret never shown again.
	out = c.ok("keys", "generate", "acme")
	m := keyJSONForm.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys generate printed %q", out)
	}
	ak, sk := m[1], m[2]
	contains(t, c.fails(1, "keys", "generate", "acme"), "409", "second keys generate")
	shown := c.ok("keys", "show", "acme") + c.ok("keys", "show", "acme", "--json") + c.ok("tenant", "show", "acme", "--json")
	contains(t, shown, ak, "keys show")
	if strings.Contains(shown, sk) {
		t.Fatal("the secret key was printed again after generate")
	}
	m = keyJSONForm.FindStringSubmatch(c.ok("keys", "rotate", "acme"))
	if m == nil || m[1] == ak || m[2] == sk {
		t.Fatalf("keys rotate: %v", m)
	}

	// Users.
	c.ok("user", "create", "acme", "alice", "--password", "alice-password-1")
	c.fails(2, "user", "create", "acme", "bob")
	contains(t, c.ok("user", "list", "acme"), "alice", "user list")
	c.ok("user", "passwd", "acme", "alice", "--password", "alice-password-2")
	c.ok("user", "delete", "acme", "alice")
	if strings.Contains(c.ok("user", "list", "acme"), "alice") {
		t.Error("deleted user still listed")
	}

	// Volumes.
	c.ok("volume", "add", "acme", "--name", "vol-1", "--size", "100GiB", "--server", "web-01")
	out = c.ok("volume", "list", "acme")
	contains(t, out, "vol-1", "volume list")
	contains(t, out, "100 GiB", "volume list size")
	contains(t, out, "web-01", "volume list server")
	c.fails(2, "volume", "add", "acme", "--name", "vol-2")
	c.ok("volume", "remove", "acme", "vol-1")
	contains(t, c.fails(1, "volume", "remove", "acme", "vol-1"), "404", "removing a missing volume")

	// Suspend and resume.
	c.ok("tenant", "suspend", "acme")
	if err := json.Unmarshal([]byte(c.ok("tenant", "show", "acme", "--json")), &show); err != nil {
		t.Fatal(err)
	}
	if !show.Suspended {
		t.Error("tenant not suspended")
	}
	c.ok("tenant", "resume", "acme")
	if err := json.Unmarshal([]byte(c.ok("tenant", "show", "acme", "--json")), &show); err != nil {
		t.Fatal(err)
	}
	if show.Suspended {
		t.Error("tenant still suspended after resume")
	}

	// Drives and audit.
	if n := strings.Count(c.ok("drives"), " online "); n != 4 {
		t.Errorf("drives: %d online, want 4", n)
	}
	contains(t, c.ok("audit", "--tenant", "acme"), "acme", "audit")

	c.ok("keys", "delete", "acme")
	c.fails(1, "keys", "delete", "acme")

	// Delete needs the typed name.
	contains(t, c.fails(2, "tenant", "delete", "acme"), "--confirm acme", "delete without confirmation")
	c.fails(2, "tenant", "delete", "acme", "--confirm", "acme2")
	c.ok("tenant", "delete", "acme", "--confirm", "acme")
	contains(t, c.fails(1, "tenant", "show", "acme"), "404", "show after delete")
}

func TestAdminCLIErrors(t *testing.T) {
	srv := startTestServer(t)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"admin", "--server", srv.ConsoleURL, "--password", "wrong", "tenant", "list"}, &out, &errb)
	if code := exitCode(err, &errb); code != 1 || !strings.Contains(errb.String(), "401") {
		t.Fatalf("wrong password: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	err = run(context.Background(), []string{"admin", "--server", "http://127.0.0.1:1", "tenant", "list"}, &out, &errb)
	if code := exitCode(err, &errb); code != 1 || !strings.Contains(errb.String(), "cannot reach the server") {
		t.Fatalf("unreachable server: exit %d, stderr %q", code, errb.String())
	}
	// COFFER_SERVER and COFFER_ADMIN_PASSWORD stand in for the global flags.
	t.Setenv("COFFER_SERVER", srv.ConsoleURL)
	t.Setenv("COFFER_ADMIN_PASSWORD", testPassword)
	out.Reset()
	if err := run(context.Background(), []string{"admin", "tenant", "list"}, &out, &errb); err != nil || !strings.Contains(out.String(), "NAME") {
		t.Fatalf("env credentials: %v %q", err, out.String())
	}
	for _, args := range [][]string{{"admin"}, {"admin", "tenant", "frob"}, {"admin", "nope"}, {"admin", "tenant", "show"}} {
		if code := exitCode(run(context.Background(), args, &out, &errb), &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestAdminHelpForEveryCommand(t *testing.T) {
	for _, cmd := range adminCommands {
		var out bytes.Buffer
		args := append([]string{"admin"}, strings.Fields(cmd.name)...)
		err := run(context.Background(), append(args, "--help"), &out, &bytes.Buffer{})
		if exitCode(err, &bytes.Buffer{}) != 0 || !strings.Contains(out.String(), "Usage: coffer admin "+cmd.name) ||
			!strings.Contains(out.String(), "--json") {
			t.Errorf("%s --help: %v\n%s", cmd.name, err, out.String())
		}
	}
}

// startServerCommand runs `coffer server` in-process until the returned stop is called.
func startServerCommand(t *testing.T, dir string) (out *testutil.LockedBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &testutil.LockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"server", "--data", dir, "--s3-address", "127.0.0.1:0",
			"--console-address", "127.0.0.1:0", "--scrub-interval", "-1s"}, out, &testutil.LockedBuffer{})
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out.String(), "Operator login:") {
		select {
		case err := <-done:
			t.Fatalf("server exited early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return out, func() error { cancel(); return <-done }
}

var bannerLine = regexp.MustCompile(`(?m)^  (S3 endpoint|Console|Region|Operator login):\s+(.*)$`)

func banner(out string) map[string]string {
	m := map[string]string{}
	for _, l := range bannerLine.FindAllStringSubmatch(out, -1) {
		m[l[1]] = l[2]
	}
	return m
}

// TestServerCommand: first start prints the generated operator password once,
// it works against the admin API, cancel shuts down cleanly, a second start
// does not print a password again.
func TestServerCommand(t *testing.T) {
	t.Setenv("COFFER_ADMIN_PASSWORD", "")
	dir := t.TempDir()
	out, stop := startServerCommand(t, dir)
	b := banner(out.String())
	if !strings.HasPrefix(b["S3 endpoint"], "http://127.0.0.1:") || !strings.HasPrefix(b["Console"], "http://127.0.0.1:") || b["Region"] != "us-east-1" {
		t.Fatalf("banner: %q", out.String())
	}
	login := strings.Fields(b["Operator login"])
	if len(login) < 3 || login[0] != "admin" || login[1] != "/" || len(login[2]) < 20 {
		t.Fatalf("no generated password in %q", b["Operator login"])
	}
	var lo, le bytes.Buffer
	if err := run(context.Background(), []string{"admin", "--server", b["Console"], "--password", login[2], "tenant", "create", "first"}, &lo, &le); err != nil {
		t.Fatalf("generated password rejected: %v %s", err, le.String())
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if !strings.Contains(out.String(), "Stopped.") {
		t.Errorf("no Stopped line:\n%s", out.String())
	}

	out, stop = startServerCommand(t, dir)
	if strings.Contains(out.String(), login[2]) || !strings.Contains(out.String(), "password set on first start") {
		t.Errorf("second start banner:\n%s", out.String())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestRebuildIndexCommand: an object written before the index is lost is
// readable again after `coffer rebuild-index` on the stopped server.
func TestRebuildIndexCommand(t *testing.T) {
	cfg := server.Config{DataDir: t.TempDir(), S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		AdminPassword: testPassword, ScrubInterval: -1}
	srv, err := server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := cli{t: t, srv: srv}
	c.ok("tenant", "create", "keeper")
	m := keyJSONForm.FindStringSubmatch(c.ok("keys", "generate", "keeper"))
	if m == nil {
		t.Fatal("no key pair")
	}
	s3c := func(srv *server.Server) *s3.Client {
		return testutil.S3Client(srv.S3URL, m[1], m[2])
	}
	ctx := context.Background()
	if _, err := s3c(srv).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vault")}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("rebuild me "), 100_000)
	if _, err := s3c(srv).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String("a/b"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(cfg.DataDir, "index.db")); err != nil {
		t.Fatal(err)
	}

	var ro bytes.Buffer
	if err := run(ctx, []string{"rebuild-index", "--data", cfg.DataDir}, &ro, &bytes.Buffer{}); err != nil {
		t.Fatalf("rebuild-index: %v", err)
	}
	contains(t, ro.String(), "Index rebuilt from 4 drives", "rebuild-index")

	srv, err = server.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(ctx)
	out, err := s3c(srv).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("vault"), Key: aws.String("a/b")})
	if err != nil {
		t.Fatalf("GetObject after rebuild: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("after rebuild: %d bytes, %v; want the %d written", len(got), err, len(body))
	}
}

// TestAdminCLITokenNotLockedOut: failed password logins throttle Basic from
// this address, but the CLI with the operator API token (--token-file or
// COFFER_ADMIN_TOKEN) still works at once.
func TestAdminCLITokenNotLockedOut(t *testing.T) {
	srv := startTestServer(t)
	admin := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := exitCode(run(context.Background(), append([]string{"admin", "--server", srv.ConsoleURL}, args...), &out, &errb), &errb)
		return out.String(), errb.String(), code
	}
	var throttled bool
	for range 10 {
		_, errs, code := admin("--password", "not-the-password", "tenant", "list")
		if code != 1 {
			t.Fatalf("wrong password: exit %d", code)
		}
		throttled = throttled || strings.Contains(errs, "HTTP 429")
	}
	if !throttled {
		t.Fatal("ten wrong passwords were never throttled")
	}
	if _, errs, code := admin("--password", testPassword, "tenant", "list"); code != 1 || !strings.Contains(errs, "HTTP 429") || !strings.Contains(errs, "--token-file") {
		t.Fatalf("right password from the throttled address: exit %d %q, want 429", code, errs)
	}
	out, errs, code := admin("--token-file", srv.OperatorTokenFile, "tenant", "create", "tokened")
	if code != 0 {
		t.Fatalf("--token-file: exit %d: %s", code, errs)
	}
	contains(t, out, "Tenant tokened created", "token create")
	tok, err := os.ReadFile(srv.OperatorTokenFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("COFFER_ADMIN_TOKEN", strings.TrimSpace(string(tok)))
	if out, errs, code := admin("tenant", "list"); code != 0 || !strings.Contains(out, "tokened") {
		t.Fatalf("COFFER_ADMIN_TOKEN: exit %d: %s %s", code, out, errs)
	}
	t.Setenv("COFFER_ADMIN_TOKEN", "wrong-token-wrong-token-wrong-token-wrong")
	if _, errs, code := admin("tenant", "list"); code != 1 || !strings.Contains(errs, "invalid operator API token") {
		t.Fatalf("wrong token: exit %d %q", code, errs)
	}
}
