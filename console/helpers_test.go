package console_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/testutil"
	"github.com/cofferstore/coffer/storage"
	"golang.org/x/crypto/bcrypt"
)

const adminPassword = "operator-password-for-tests"

// testEnv is a console listener on 127.0.0.1 over a real storage.Store on
// temporary drives and a real auth.Store.
type testEnv struct {
	t       testing.TB
	dir     string
	store   *storage.Store
	auth    *auth.Store
	srv     *httptest.Server
	handler http.Handler
	secure  bool
	metrics http.Handler
	logger  *slog.Logger
	// usage builds the usage history from the opened store (nil: none).
	usage func(*storage.Store) console.UsageHistory
	ops   *console.Operations // nil: Operations over the real store (opsOver)
	// cluster is the console's cluster view (nil: a single node).
	cluster console.ClusterView
}

type envOption func(*testEnv)

func withSecureCookies() envOption           { return func(e *testEnv) { e.secure = true } }
func withMetrics(h http.Handler) envOption   { return func(e *testEnv) { e.metrics = h } }
func withLogger(l *slog.Logger) envOption    { return func(e *testEnv) { e.logger = l } }
func withOps(o console.Operations) envOption { return func(e *testEnv) { e.ops = &o } }
func withCluster(c console.ClusterView) envOption {
	return func(e *testEnv) { e.cluster = c }
}
func withUsage(f func(*storage.Store) console.UsageHistory) envOption {
	return func(e *testEnv) { e.usage = f }
}

func newEnv(t testing.TB, opts ...envOption) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dir: t.TempDir()}
	for _, o := range opts {
		o(e)
	}
	var drives []string
	for i := 1; i <= 4; i++ {
		d := filepath.Join(e.dir, "drive"+string(rune('0'+i)))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		drives = append(drives, d)
	}
	st, err := storage.Open(storage.Config{DataDir: e.dir, Drives: drives, Parity: 2, ScrubInterval: -1})
	if err != nil {
		t.Fatalf("storage.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	key, err := auth.LoadOrCreateMasterKey(filepath.Join(e.dir, "master.key"))
	if err != nil {
		t.Fatalf("master key: %v", err)
	}
	// bcrypt's least work factor: the console's tests hash many passwords,
	// and the race detector makes each default-cost hash take a second.
	as, err := auth.OpenStore(filepath.Join(e.dir, "auth.db"), key, auth.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatalf("auth.OpenStore: %v", err)
	}
	t.Cleanup(func() { as.Close() })
	e.auth = as
	if _, err := as.EnsureOperator(adminPassword); err != nil {
		t.Fatalf("EnsureOperator: %v", err)
	}
	cfg := console.Config{
		Store: st, Auth: as, PublicEndpoint: "http://127.0.0.1:9000", Region: "us-east-1",
		SecureCookies: e.secure, Metrics: e.metrics, Logger: e.logger, Ops: e.opsOver(st),
		Cluster: e.cluster,
	}
	if e.usage != nil {
		cfg.Usage = e.usage(st)
	}
	e.handler = console.New(cfg)
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	return e
}

// opsOver is the Operations the console gets: those of withOps, else
// the real store's layout and scrub.
func (e *testEnv) opsOver(st *storage.Store) console.Operations {
	if e.ops != nil {
		return *e.ops
	}
	return console.Operations{Version: "test-version", Layout: st.Layout, Scrub: st.Scrub}
}

// tenant creates a tenant and one console user for it, and returns a logged-in client.
func (e *testEnv) tenant(name string, q storage.Quota) *client {
	e.t.Helper()
	if err := e.store.CreateTenant(context.Background(), name, q); err != nil {
		e.t.Fatalf("CreateTenant %s: %v", name, err)
	}
	user, pass := name+"-user", "password-of-"+name
	if err := e.auth.CreateUser(name, user, pass, auth.RoleTenant); err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	return e.login(user, pass)
}

// login logs in through the API and returns a client holding the session.
func (e *testEnv) login(user, pass string) *client {
	e.t.Helper()
	c := &client{t: e.t, base: e.srv.URL}
	resp := c.do("POST", "/api/login", map[string]string{"username": user, "password": pass})
	resp.want(http.StatusOK)
	var me struct {
		CSRFToken string `json:"csrfToken"`
	}
	resp.decode(&me)
	if me.CSRFToken == "" {
		e.t.Fatal("login returned no csrfToken")
	}
	for _, ck := range resp.Cookies {
		if ck.Name == "coffer_session" || ck.Name == "__Host-coffer_session" {
			c.session, c.cookieName = ck.Value, ck.Name
		}
	}
	if c.session == "" {
		e.t.Fatal("login set no coffer_session cookie")
	}
	c.csrf = me.CSRFToken
	return c
}

// operator returns a logged-in operator session (one bcrypt check instead
// of one per request).
func (e *testEnv) operator() *client {
	return e.login("admin", adminPassword)
}

// operatorBasic returns a client using HTTP Basic admin credentials, like the CLI.
func (e *testEnv) operatorBasic() *client {
	return &client{t: e.t, base: e.srv.URL, basicUser: "admin", basicPass: adminPassword}
}

// client speaks the console JSON API: by session cookie + CSRF header, or by Basic.
type client struct {
	t                    testing.TB
	base                 string
	session, csrf        string
	cookieName           string // the session cookie's name; "" = coffer_session
	basicUser, basicPass string
	noCSRF               bool
	// seen collects every response body, to prove secrets never come back.
	seen *[]byte
}

// response is one answer of the console API (testutil.Response).
type response struct{ *testutil.Response }

// do sends the request through the tests' one console API client
// (testutil.API) and checks that every /api/ answer forbids caching.
func (c *client) do(method, path string, body any) *response {
	c.t.Helper()
	api := &testutil.API{T: c.t, Base: c.base, User: c.basicUser, Password: c.basicPass,
		Session: c.session, CSRF: c.csrf, CookieName: c.cookieName, NoCSRF: c.noCSRF, Seen: c.seen}
	r := api.Do(method, path, body)
	if strings.HasPrefix(path, "/api/") && r.Header.Get("Cache-Control") != "no-store" {
		c.t.Errorf("%s %s: Cache-Control = %q, want no-store", method, path, r.Header.Get("Cache-Control"))
	}
	return &response{r}
}

func (r *response) want(status int) *response {
	r.T.Helper()
	r.Want(status)
	return r
}

func (r *response) decode(v any) {
	r.T.Helper()
	r.Decode(v)
}

// errorText returns the "error" member of a JSON error body.
func (r *response) errorText() string {
	r.T.Helper()
	return r.ErrorText()
}

// wantError checks status and that the error message contains substr.
func (r *response) wantError(status int, substr string) {
	r.T.Helper()
	r.WantError(status, substr)
}

// putObject writes an object straight through storage.
func (e *testEnv) putObject(tenant, bucket, key, data string) {
	e.t.Helper()
	_, err := e.store.PutObject(context.Background(), tenant, bucket, key, strings.NewReader(data), storage.PutOptions{Size: int64(len(data))})
	if err != nil {
		e.t.Fatalf("PutObject %s/%s/%s: %v", tenant, bucket, key, err)
	}
}

// grepDir reports files under dir whose bytes contain needle.
func grepDir(t testing.TB, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}
