package s3api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/testutil"
	"github.com/cofferstore/coffer/pkg/sse"
	"github.com/cofferstore/coffer/storage"
)

// testEnv is a real server: storage on temporary drives, the auth store,
// the S3 handler behind an httptest server on 127.0.0.1.
type testEnv struct {
	t      testing.TB
	store  *storage.Store
	auth   *auth.Store
	srv    *httptest.Server
	obs    *recordingObserver
	keys   map[string]auth.Credential
	logs   *testutil.LockedBuffer
	drives []string
}

// checksumMode selects how the SDK computes request checksums.
type checksumMode int

const (
	sdkDefault      checksumMode = iota // CRC trailers on uploads
	sdkWhenRequired                     // checksums only where the API requires them
)

func (m checksumMode) String() string {
	if m == sdkDefault {
		return "default-checksums"
	}
	return "when-required"
}

func newEnv(t testing.TB, tenants ...string) *testEnv {
	t.Helper()
	return newEnvWith(t, envOptions{domains: []string{"s3.test"}}, tenants...)
}

// envOptions vary the server a testEnv runs.
type envOptions struct {
	domains []string // --domain values
	// publicEndpoint is --public-endpoint (the domain when domains is empty)
	publicEndpoint string
	verifier       auth.VerifierOptions
	writes         WriteLimits
	// sseDefault and sseCAllowHTTP: Config.SSEDefault, Config.SSECAllowHTTP;
	// plainHTTP serves without TLS.
	sseDefault, sseCAllowHTTP, plainHTTP bool
}

func newEnvWith(t testing.TB, o envOptions, tenants ...string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	var drives []string
	for i := 1; i <= 4; i++ {
		drives = append(drives, filepath.Join(dir, fmt.Sprintf("drive%d", i)))
	}
	mk, err := auth.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	sseKey, err := sse.NewMasterKey(mk)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(storage.Config{DataDir: dir, Drives: drives, Parity: 2, ScrubInterval: -1,
		Keys: storage.StaticKeys(sseKey), SSEDefault: o.sseDefault})
	if err != nil {
		t.Fatalf("storage.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	as, err := auth.OpenStore(filepath.Join(dir, "auth.db"), mk)
	if err != nil {
		t.Fatalf("auth.OpenStore: %v", err)
	}
	t.Cleanup(func() { as.Close() })
	logs := &testutil.LockedBuffer{}
	e := &testEnv{t: t, store: st, auth: as, obs: &recordingObserver{}, keys: map[string]auth.Credential{}, logs: logs, drives: drives}
	if len(tenants) == 0 {
		tenants = []string{"alpha"}
	}
	for _, name := range tenants {
		e.addTenant(name)
	}
	h := New(Config{
		Store:          st,
		Verifier:       auth.NewVerifier(as, o.verifier),
		Region:         "us-east-1",
		Domains:        o.domains,
		PublicEndpoint: o.publicEndpoint,
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Observer:       e.obs,
		WriteLimits:    o.writes,
		SSECAllowHTTP:  o.sseCAllowHTTP,
	})
	// TLS, so that the SDK's default mode sends CRC trailers
	// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) as it does against AWS.
	if o.plainHTTP {
		e.srv = httptest.NewServer(h)
	} else {
		e.srv = httptest.NewTLSServer(h)
	}
	t.Cleanup(e.srv.Close)
	return e
}

func (e *testEnv) addTenant(name string) {
	e.t.Helper()
	if err := e.store.CreateTenant(context.Background(), name, storage.Quota{}); err != nil {
		e.t.Fatalf("CreateTenant %s: %v", name, err)
	}
	cred, err := e.auth.GenerateKey(name)
	if err != nil {
		e.t.Fatalf("GenerateKey %s: %v", name, err)
	}
	e.keys[name] = cred
}

// client returns an SDK client for a tenant.
func (e *testEnv) client(tenant string, mode checksumMode) *s3.Client {
	cred := e.keys[tenant]
	return e.clientWith(cred.AccessKey, cred.SecretKey, mode)
}

func (e *testEnv) clientWith(ak, sk string, mode checksumMode) *s3.Client {
	return testutil.S3Client(e.srv.URL, ak, sk, testutil.NoRetries, func(o *s3.Options) {
		o.HTTPClient = e.srv.Client()
		// The SDK's defaults as config.LoadDefaultConfig resolves them.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported
		if mode == sdkWhenRequired {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
}

// wantAPIError asserts err is an S3 error with this code and a message
// containing msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	testutil.WantS3Error(t, err, code, msg)
}

// wantHTTPStatus asserts err carries an HTTP status (for HEAD errors without body).
func wantHTTPStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) {
		t.Fatalf("want HTTP %d, got %v", status, err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("want HTTP %d, got %d (%v)", status, re.HTTPStatusCode(), err)
	}
}

// recordingObserver records what the handler reports.
type recordingObserver struct {
	mu       sync.Mutex
	ops      map[string]int
	failures map[string]int
	inFlight int
}

func (o *recordingObserver) S3Request(op string, status int, d time.Duration, in, out int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ops == nil {
		o.ops = map[string]int{}
	}
	o.ops[fmt.Sprintf("%s %d", op, status)]++
}

func (o *recordingObserver) S3AuthFailure(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failures == nil {
		o.failures = map[string]int{}
	}
	o.failures[reason]++
}

func (o *recordingObserver) S3InFlight(delta int) {
	o.mu.Lock()
	o.inFlight += delta
	o.mu.Unlock()
}

func (o *recordingObserver) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ops[key]
}

// http returns an HTTP client that trusts the test server.
func (e *testEnv) http() *http.Client { return e.srv.Client() }

// loopbackClient sends every request to the test server whatever its host,
// so virtual-hosted names need no DNS.
func (e *testEnv) loopbackClient() *http.Client {
	addr := strings.TrimPrefix(e.srv.URL, "https://")
	tr := e.srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.InsecureSkipVerify = true // the test certificate does not name s3.test
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}
