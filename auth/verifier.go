package auth

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SecretLookup resolves an access key to its tenant and plaintext secret.
// *Store implements it; it returns ErrInvalidAccessKeyID for unknown keys.
type SecretLookup interface {
	LookupSecret(accessKey string) (tenant, secret string, err error)
}

// usageRecorder is implemented by lookups that track when a key was last
// used; the Verifier calls it after a signature checks out.
type usageRecorder interface {
	MarkUsed(accessKey string)
}

// DefaultRegion is the region Coffer answers for when none is configured:
// SigV4 scopes name it, and the S3 API and console report it.
const DefaultRegion = "us-east-1"

// VerifierOptions configures a Verifier.
type VerifierOptions struct {
	// Region is the region clients are told to use (DefaultRegion when empty).
	Region string
	// Now returns the current time (time.Now when nil); tests inject a clock.
	Now func() time.Time
	// DisableSigV2 refuses AWS Signature Version 2 (header and presigned)
	// with ErrUnsupportedAuth, as AWS regions opened since 2014 do.
	DisableSigV2 bool
}

// Target is the S3 router's decision about which bucket a request names.
// SigV2 does not sign the Host header, so its string to sign names the bucket
// of a virtual-hosted-style request; the verifier takes that bucket from the
// router instead of guessing, so that a signature binds exactly the bucket
// and key the handler acts on.
type Target struct {
	// HostBucket is the bucket named by the Host header of a
	// virtual-hosted-style request, "" for a path-style request.
	HostBucket string
}

// Verifier checks the signatures of S3 requests.
type Verifier struct {
	lookup  SecretLookup
	opts    VerifierOptions
	now     func() time.Time
	signing signingKeys
}

// NewVerifier returns a Verifier that takes secrets from lookup.
func NewVerifier(lookup SecretLookup, opts VerifierOptions) *Verifier {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Verifier{lookup: lookup, opts: opts, now: now}
}

// Verified is the outcome of a successful Verify.
type Verified struct {
	Identity Identity
	// Body is the decoded payload: aws-chunked framing removed, chunk
	// signatures and the payload hash checked as it streams. A failed check
	// is returned by Read before io.EOF, so commit only after io.EOF.
	Body io.ReadCloser
	// DecodedLength is the exact payload length, or -1 when unknown.
	DecodedLength int64
	// TrailerNames lists the trailing headers announced by x-amz-trailer,
	// canonical lower case.
	TrailerNames []string
	// Trailer returns a trailing header value (lower-case name); valid after
	// Body returned io.EOF, "" otherwise.
	Trailer func(name string) string
}

func noTrailer(string) string { return "" }

// Verify authenticates r by SigV4 (header or presigned query, any payload
// mode) or SigV2 (header or presigned query); t is how the router addressed
// r (SigV2 signs it). Every x-amz-* header of r must be covered by the
// signature (ErrUnsignedHeaders otherwise). On success it also replaces
// r.Body with the decoded body and r's context with one carrying the
// identity (WithIdentity), so handlers may read either.
//
// Errors wrap the sentinels of this package: ErrMissingAuth,
// ErrUnsupportedAuth, ErrMalformedAuth, ErrInvalidAccessKeyID,
// ErrSignatureMismatch, ErrRequestTimeTooSkewed, ErrExpired,
// ErrInvalidContentSHA256, ErrMissingDecodedLength, ErrUnsignedHeaders,
// ErrWrongRegion.
func (v *Verifier) Verify(r *http.Request, t Target) (*Verified, error) {
	authz := r.Header.Get("Authorization")
	q := r.URL.Query()
	v4Query := q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Algorithm")
	v2Query := q.Has("AWSAccessKeyId") || (q.Has("Signature") && q.Has("Expires"))
	var (
		out *Verified
		err error
	)
	switch {
	case authz != "" && (v4Query || v2Query), v4Query && v2Query:
		return nil, fmt.Errorf("%w: more than one authorization mechanism", ErrUnsupportedAuth)
	case strings.HasPrefix(authz, algorithmV4):
		out, err = v.verifyV4Header(r, authz)
	case strings.HasPrefix(authz, "AWS ") && v.opts.DisableSigV2, v2Query && v.opts.DisableSigV2:
		return nil, fmt.Errorf("%w: AWS Signature Version 2 is disabled", ErrUnsupportedAuth)
	case strings.HasPrefix(authz, "AWS "):
		out, err = v.verifyV2Header(r, t, authz)
	case strings.HasPrefix(authz, algorithmV4a):
		return nil, fmt.Errorf("%w: SigV4a is not supported", ErrUnsupportedAuth)
	case authz != "":
		return nil, fmt.Errorf("%w: unknown authorization scheme", ErrUnsupportedAuth)
	case v4Query:
		out, err = v.verifyV4Query(r, q)
	case v2Query:
		out, err = v.verifyV2Query(r, t, q)
	default:
		return nil, ErrMissingAuth
	}
	if err != nil {
		return nil, err
	}
	if u, ok := v.lookup.(usageRecorder); ok {
		u.MarkUsed(out.Identity.AccessKey)
	}
	r.Body = out.Body
	*r = *r.WithContext(WithIdentity(r.Context(), out.Identity))
	return out, nil
}

// secretFor looks up the secret of accessKey.
func (v *Verifier) secretFor(accessKey string) (Identity, string, error) {
	tenant, secret, err := v.lookup.LookupSecret(accessKey)
	if err != nil {
		return Identity{}, "", err
	}
	return Identity{Tenant: tenant, AccessKey: accessKey}, secret, nil
}

// checkScope checks that the scope names the server's region, as AWS does
// (a client configured for another region learns the right one from the
// error), and that the scope date is the day of t.
func (v *Verifier) checkScope(scope credentialScope, t time.Time, presigned bool) error {
	if scope.region != v.opts.Region {
		return &RegionError{Region: truncate(scope.region), Expected: v.opts.Region, Presigned: presigned}
	}
	if scope.date != t.UTC().Format(scopeDateLayout) {
		return fmt.Errorf("%w: credential date does not match request date", ErrMalformedAuth)
	}
	return nil
}

// requestTime returns the SigV4 timestamp of a header-signed request: from
// x-amz-date, else from Date.
func requestTime(r *http.Request) (time.Time, string, error) {
	if s := r.Header.Get("X-Amz-Date"); s != "" {
		t, err := time.Parse(iso8601Basic, s)
		if err != nil {
			return t, "", fmt.Errorf("%w: bad x-amz-date", ErrMalformedAuth)
		}
		return t, s, nil
	}
	if s := r.Header.Get("Date"); s != "" {
		t, err := parseHTTPDate(s)
		if err != nil {
			return t, "", fmt.Errorf("%w: bad Date header", ErrMalformedAuth)
		}
		return t, t.UTC().Format(iso8601Basic), nil
	}
	return time.Time{}, "", fmt.Errorf("%w: x-amz-date or Date header required", ErrMalformedAuth)
}

func (v *Verifier) checkSkew(t time.Time) error {
	d := v.now().Sub(t)
	if d > maxClockSkew || d < -maxClockSkew {
		return ErrRequestTimeTooSkewed
	}
	return nil
}

// matchV4 computes the signature over each candidate canonical path and
// reports whether one matches.
func (v *Verifier) matchV4(r *http.Request, key []byte, timestamp string, a v4Auth, query, payloadHash string) bool {
	for _, path := range canonicalPaths(r) {
		canon := canonicalRequest(r, path, query, a.signedHeaders, payloadHash)
		sig := hex.EncodeToString(hmacSHA256(key, stringToSignV4(timestamp, a.scope, canon)))
		if signatureEqual(sig, a.signature) {
			return true
		}
	}
	return false
}

func (v *Verifier) verifyV4Header(r *http.Request, authz string) (*Verified, error) {
	a, err := parseV4Header(authz)
	if err != nil {
		return nil, err
	}
	t, timestamp, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a.scope, t, false); err != nil {
		return nil, err
	}
	if err := checkHeadersSigned(r.Header, a.signedHeaders); err != nil {
		return nil, err
	}
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	mode, err := parsePayloadMode(payloadHash)
	if err != nil {
		return nil, err
	}
	id, secret, err := v.secretFor(a.scope.accessKey)
	if err != nil {
		return nil, err
	}
	key := v.signing.get(secret, a.scope)
	query := canonicalQuery(parseRawQuery(r.URL.RawQuery), "")
	if !v.matchV4(r, key, timestamp, a, query, payloadHash) {
		return nil, ErrSignatureMismatch
	}
	return v.payload(r, id, mode, payloadHash, chunkSigner{key: key, timestamp: timestamp, scope: a.scope.String(), seed: a.signature})
}

// parseV4Query parses the X-Amz-* parameters of a presigned URL.
func parseV4Query(q map[string][]string) (a v4Auth, t time.Time, timestamp string, expires time.Duration, err error) {
	get := func(k string) (string, error) {
		vals := q[k]
		if len(vals) != 1 || vals[0] == "" {
			return "", fmt.Errorf("%w: %s must appear exactly once", ErrMalformedAuth, k)
		}
		return vals[0], nil
	}
	var alg, cred, date, exp, signed, sig string
	if alg, err = get("X-Amz-Algorithm"); err != nil {
		return
	}
	if alg != algorithmV4 {
		err = fmt.Errorf("%w: X-Amz-Algorithm must be %s", ErrUnsupportedAuth, algorithmV4)
		return
	}
	for _, p := range []struct {
		k string
		v *string
	}{{"X-Amz-Credential", &cred}, {"X-Amz-Date", &date}, {"X-Amz-Expires", &exp}, {"X-Amz-SignedHeaders", &signed}, {"X-Amz-Signature", &sig}} {
		if *p.v, err = get(p.k); err != nil {
			return
		}
	}
	if a.scope, err = parseCredential(cred); err != nil {
		return
	}
	if a.signedHeaders, err = parseSignedHeaders(signed); err != nil {
		return
	}
	if a.signature, err = parseSignature(sig); err != nil {
		return
	}
	if t, err = time.Parse(iso8601Basic, date); err != nil {
		err = fmt.Errorf("%w: bad X-Amz-Date", ErrMalformedAuth)
		return
	}
	secs, perr := strconv.ParseInt(exp, 10, 64)
	if perr != nil || secs < 1 || secs > maxPresignExpires || !allDigits(exp) {
		err = fmt.Errorf("%w: X-Amz-Expires must be 1..%d seconds", ErrMalformedAuth, maxPresignExpires)
		return
	}
	return a, t, date, time.Duration(secs) * time.Second, nil
}

func (v *Verifier) verifyV4Query(r *http.Request, q url.Values) (*Verified, error) {
	a, t, timestamp, expires, err := parseV4Query(q)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a.scope, t, true); err != nil {
		return nil, err
	}
	if err := checkHeadersSigned(r.Header, a.signedHeaders); err != nil {
		return nil, err
	}
	now := v.now()
	if now.Before(t.Add(-maxClockSkew)) {
		return nil, fmt.Errorf("%w: presigned URL is not valid yet", ErrRequestTimeTooSkewed)
	}
	if now.After(t.Add(expires)) {
		return nil, ErrExpired
	}
	payloadHash := payloadUnsigned
	if h := q.Get("X-Amz-Content-Sha256"); h != "" {
		payloadHash = h
	}
	mode, err := parsePayloadMode(payloadHash)
	if err != nil {
		return nil, err
	}
	if mode != modeUnsigned && mode != modeSHA256 {
		return nil, fmt.Errorf("%w: streaming payloads need the Authorization header", ErrInvalidContentSHA256)
	}
	id, secret, err := v.secretFor(a.scope.accessKey)
	if err != nil {
		return nil, err
	}
	key := v.signing.get(secret, a.scope)
	query := canonicalQuery(parseRawQuery(r.URL.RawQuery), "X-Amz-Signature")
	if !v.matchV4(r, key, timestamp, a, query, payloadHash) {
		return nil, ErrSignatureMismatch
	}
	return v.payload(r, id, mode, payloadHash, chunkSigner{})
}
