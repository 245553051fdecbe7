package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAccessKey = "AKIAIOSFODNN7EXAMPLE"
	testSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testTenant    = "acme"
)

// keyTable is a fixed SecretLookup for verifier tests that do not need a
// database; Store itself is exercised in store tests and TestVerifyWithStore.
type keyTable map[string][2]string // access key -> tenant, secret

func (k keyTable) LookupSecret(ak string) (string, string, error) {
	v, ok := k[ak]
	if !ok {
		return "", "", ErrInvalidAccessKeyID
	}
	return v[0], v[1], nil
}

var testKeys = keyTable{testAccessKey: {testTenant, testSecret}}

// sentinels names every verification error, so a server can report which
// one it saw.
var sentinels = map[string]error{
	"MissingAuth": ErrMissingAuth, "InvalidAccessKeyID": ErrInvalidAccessKeyID,
	"SignatureMismatch": ErrSignatureMismatch, "MalformedAuth": ErrMalformedAuth,
	"UnsupportedAuth": ErrUnsupportedAuth, "RequestTimeTooSkewed": ErrRequestTimeTooSkewed,
	"Expired": ErrExpired, "ContentSHA256Mismatch": ErrContentSHA256Mismatch,
	"InvalidContentSHA256": ErrInvalidContentSHA256, "ChunkSignatureMismatch": ErrChunkSignatureMismatch,
	"MalformedChunk": ErrMalformedChunk, "MissingDecodedLength": ErrMissingDecodedLength,
	"UnsignedHeaders": ErrUnsignedHeaders, "WrongRegion": ErrWrongRegion,
}

func sentinelName(err error) string {
	for name, s := range sentinels {
		if errors.Is(err, s) {
			return name
		}
	}
	return "other: " + err.Error()
}

// outcome is what the test server saw for one request.
type outcome struct {
	Stage         string            `json:"stage"` // "verify", "read" or "ok"
	Error         string            `json:"error,omitempty"`
	Tenant        string            `json:"tenant,omitempty"`
	CtxTenant     string            `json:"ctxTenant,omitempty"`
	BodyLen       int64             `json:"bodyLen"`
	BodySHA       string            `json:"bodySHA"`
	DecodedLength int64             `json:"decodedLength"`
	Trailers      map[string]string `json:"trailers,omitempty"`
	Mode          string            `json:"mode,omitempty"` // x-amz-content-sha256 as sent
}

// lastOutcome keeps the most recent outcome of a verify server, for clients
// (like the S3 SDK) that do not hand back the response body.
type lastOutcome struct {
	mu sync.Mutex
	o  outcome
}

func (l *lastOutcome) get() outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.o
}

// startVerifyServer serves on 127.0.0.1: each request is verified, its body
// read to the end, and the outcome returned as JSON.
func startVerifyServer(t testing.TB, v *Verifier) *httptest.Server {
	srv := httptest.NewServer(verifyHandler(v, nil))
	t.Cleanup(srv.Close)
	return srv
}

func verifyHandler(v *Verifier, last *lastOutcome) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var out outcome
		mode := r.Header.Get("X-Amz-Content-Sha256")
		res, err := v.Verify(r, Target{})
		if err != nil {
			out = outcome{Stage: "verify", Error: sentinelName(err)}
		} else {
			h := sha256.New()
			n, err := io.Copy(h, res.Body)
			out = outcome{Stage: "ok", Tenant: res.Identity.Tenant, BodyLen: n,
				BodySHA: hex.EncodeToString(h.Sum(nil)), DecodedLength: res.DecodedLength}
			if id, ok := IdentityFrom(r.Context()); ok {
				out.CtxTenant = id.Tenant
			}
			if err != nil {
				out.Stage, out.Error = "read", sentinelName(err)
			}
			for _, name := range res.TrailerNames {
				if out.Trailers == nil {
					out.Trailers = map[string]string{}
				}
				out.Trailers[name] = res.Trailer(name)
			}
		}
		out.Mode = mode
		if last != nil {
			last.mu.Lock()
			last.o = out
			last.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		if out.Stage != "ok" {
			w.WriteHeader(http.StatusForbidden)
		}
		_ = json.NewEncoder(w).Encode(out)
	})
}

func doRequest(t testing.TB, req *http.Request) outcome {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	var out outcome
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode outcome: %v", err)
	}
	return out
}

func sha256HexBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// signV4 signs req in place with the real aws-sdk-go-v2 signer, the way the
// S3 client does (no double path escaping).
func signV4(t testing.TB, req *http.Request, payloadHash string, ak, secret, region string, at time.Time) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: ak, SecretAccessKey: secret}
	if err := s.SignHTTP(context.Background(), creds, req, payloadHash, "s3", region, at); err != nil {
		t.Fatal(err)
	}
}

// presignRegion is the region presignV4 signs for.
var presignRegion = "us-east-1"

// presignV4 returns a presigned URL from the real aws-sdk-go-v2 signer.
func presignV4(t testing.TB, req *http.Request, ak, secret string, at time.Time) string {
	t.Helper()
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: ak, SecretAccessKey: secret}
	u, _, err := s.PresignHTTP(context.Background(), creds, req, payloadUnsigned, "s3", presignRegion, at)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
