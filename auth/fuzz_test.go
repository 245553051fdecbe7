package auth

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// fuzzNow is the fixed clock of the fuzz targets (the AWS example date).
var fuzzNow = func() time.Time { t, _ := time.Parse(iso8601Basic, "20130524T000100Z"); return t }

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		"AWS4-HMAC-SHA256 Credential=A/B/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("a", 64),
		"AWS4-HMAC-SHA256 Credential=,SignedHeaders=,Signature=",
		"AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
		"AWS :",
		"AWS4-ECDSA-P256-SHA256 Credential=x",
		// Wrong region, and SignedHeaders without the x-amz-* headers sent.
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/eu-west-3/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	} {
		f.Add(s)
	}
	v := NewVerifier(testKeys, VerifierOptions{Now: fuzzNow})
	f.Fuzz(func(t *testing.T, h string) {
		if a, err := parseV4Header(h); err == nil {
			if a.scope.accessKey == "" || len(a.signature) != 64 || len(a.signedHeaders) == 0 {
				t.Fatalf("accepted incomplete header %q: %+v", h, a)
			}
		}
		r, _ := http.NewRequest("GET", "http://examplebucket.s3.amazonaws.com/test.txt", nil)
		r.Header.Set("Authorization", h)
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Content-Sha256", emptySHA256Hex)
		r.Header.Set("Date", "Fri, 24 May 2013 00:00:00 GMT")
		res, err := v.Verify(r, Target{})
		if err == nil {
			// Only a correct signature by the example key may pass.
			if res.Identity.AccessKey != testAccessKey {
				t.Fatalf("verified unknown key from %q", h)
			}
			return
		}
		if !isSentinel(err) {
			t.Fatalf("error without sentinel for %q: %v", h, err)
		}
	})
}

func FuzzPresignedQuery(f *testing.F) {
	for _, s := range []string{
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=604801",
		"AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
		"X-Amz-Signature=x&AWSAccessKeyId=y",
		"uploads&prefix=%zz;a=b&&=",
		// Wrong region; a V2 URL valid for years.
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Feu-west-3%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
		"AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=99999999999",
	} {
		f.Add(s)
	}
	v := NewVerifier(testKeys, VerifierOptions{Now: fuzzNow})
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 1<<16 {
			return
		}
		_ = canonicalQuery(parseRawQuery(q), "X-Amz-Signature")
		u := &url.URL{Scheme: "http", Host: "examplebucket.s3.amazonaws.com", Path: "/test.txt", RawQuery: q}
		r, err := http.NewRequest("GET", u.String(), nil)
		if err != nil {
			return
		}
		// Path style and virtual-hosted: SigV2 signs the bucket of the latter.
		for _, target := range []Target{{}, {HostBucket: "examplebucket"}} {
			res, err := v.Verify(r, target)
			if err == nil {
				if res.Identity.AccessKey != testAccessKey {
					t.Fatalf("verified unknown key from %q", q)
				}
				continue
			}
			if !isSentinel(err) {
				t.Fatalf("error without sentinel for %q: %v", q, err)
			}
		}
	})
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzChunkedReader feeds arbitrary bodies to the aws-chunked decoder in
// each mode, read in odd-sized pieces. It must never panic, loop, return
// more than the declared length, or end cleanly with a different length.
func FuzzChunkedReader(f *testing.F) {
	// Small validly signed bodies (the 66 KB documentation examples make
	// the fuzzer crawl); signatures chain from the documentation's seeds.
	at, _ := time.Parse(iso8601Basic, awsExampleTime)
	msg := []byte("hello, coffer: aws-chunked")
	f.Add(newChunkEncoder(testSecret, at, "us-east-1", awsExampleSeed, true).encode(msg, 7, nil, false), uint8(0), int64(len(msg)), uint8(3))
	f.Add(newChunkEncoder(testSecret, at, "us-east-1", awsTrailerSeed, true).encode(msg, 10, [][2]string{{"x-amz-checksum-crc32c", "sOO8/Q=="}}, true), uint8(1), int64(len(msg)), uint8(200))

	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"), uint8(2), int64(5), uint8(1))
	f.Add([]byte("3\r\nabc\r\n0\r\n\r\n"), uint8(2), int64(3), uint8(2))
	f.Add([]byte("ffffffffffffffff\r\n"), uint8(2), int64(1<<40), uint8(3))
	f.Add([]byte("0;chunk-signature="+strings.Repeat("0", 64)+"\r\n\r\n"), uint8(0), int64(0), uint8(5))
	f.Add([]byte("5\r\nhel"), uint8(2), int64(5), uint8(1))

	scope := credentialScope{accessKey: testAccessKey, date: "20130524", region: "us-east-1", service: "s3"}
	modes := []payloadMode{modeStreaming, modeStreamingTrailer, modeStreamingUnsignedTrl}
	f.Fuzz(func(t *testing.T, body []byte, modeSel uint8, declared int64, step uint8) {
		if declared < 0 {
			declared = -declared
			if declared < 0 {
				declared = 0
			}
		}
		mode := modes[int(modeSel)%len(modes)]
		seed := awsExampleSeed
		var names []string
		if mode != modeStreaming {
			seed = awsTrailerSeed
			names = []string{"x-amz-checksum-crc32c"}
			if mode == modeStreamingUnsignedTrl {
				names = []string{"x-amz-checksum-crc32"}
			}
		}
		cs := chunkSigner{key: deriveSigningKey(testSecret, scope), timestamp: at.Format(iso8601Basic), scope: scope.String(), seed: seed}
		cr := newChunkedReader(io.NopCloser(bytes.NewReader(body)), declared, names, mode, cs)
		buf := make([]byte, int(step)+1)
		var total int64
		for i := 0; ; i++ {
			if i > 4*len(body)+16 {
				t.Fatalf("no progress after %d reads of a %d-byte body", i, len(body))
			}
			n, err := cr.Read(buf)
			total += int64(n)
			if total > declared {
				t.Fatalf("decoded %d bytes, declared %d", total, declared)
			}
			if err == io.EOF {
				if total != declared {
					t.Fatalf("clean EOF after %d bytes, declared %d", total, declared)
				}
				return
			}
			if err != nil {
				if !errors.Is(err, ErrMalformedChunk) && !errors.Is(err, ErrChunkSignatureMismatch) {
					t.Fatalf("unexpected error %v", err)
				}
				if cr.trailer("x-amz-checksum-crc32") != "" {
					t.Fatal("trailer exposed after failure")
				}
				return
			}
		}
	})
}

// FuzzUnsignedHeaders drives the signed-header coverage check with
// arbitrary header names (one per line) and SignedHeaders lists. A request
// passes exactly when each of its x-amz-* headers is signed or exempt; a
// refusal names only unsigned x-amz-* headers, sorted, at most 32.
func FuzzUnsignedHeaders(f *testing.F) {
	f.Add("X-Amz-Copy-Source\nX-Amz-Date", "host;x-amz-date")
	f.Add("x-amz-meta-a\nX-AMZ-META-A\nX-Amz-Content-Sha256", "host")
	f.Add("X-Amzn-Trace-Id\nRange", "host;range")
	f.Add("x-amz-\nx-amz-tagging", "host;x-amz-tagging;x-amz-")
	f.Fuzz(func(t *testing.T, names, signedList string) {
		if len(names) > 1<<12 || len(signedList) > 1<<12 {
			return
		}
		signed, err := parseSignedHeaders(signedList)
		if err != nil {
			return
		}
		h := http.Header{}
		for _, n := range strings.Split(names, "\n") {
			h[n] = []string{"v"}
		}
		err = checkHeadersSigned(h, signed)
		var unsigned []string
		for k := range h {
			lk := strings.ToLower(k)
			if strings.HasPrefix(lk, "x-amz-") && !unsignedExempt[lk] && !contains(signed, lk) {
				unsigned = append(unsigned, lk)
			}
		}
		if len(unsigned) == 0 {
			if err != nil {
				t.Fatalf("refused %q signed %q: %v", names, signedList, err)
			}
			return
		}
		var ue *UnsignedHeadersError
		if !errors.As(err, &ue) || !errors.Is(err, ErrUnsignedHeaders) || len(ue.Names) == 0 || len(ue.Names) > maxListedUnsigned {
			t.Fatalf("accepted or bad error for %q signed %q: %v", names, signedList, err)
		}
		if !sort.StringsAreSorted(ue.Names) {
			t.Fatalf("names not sorted: %v", ue.Names)
		}
		for _, n := range ue.Names {
			if !strings.HasPrefix(n, "x-amz-") || len(n) > 35 {
				t.Fatalf("listed %q", n)
			}
		}
	})
}

// FuzzSplitLoginName: "user@tenant" splits at the last '@' into two
// non-empty parts that rebuild the input.
func FuzzSplitLoginName(f *testing.F) {
	for _, s := range []string{"alice", "alice@acme", "a@b@c", "@acme", "alice@", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		user, tenant, ok := SplitLoginName(s)
		if !ok {
			return
		}
		if user == "" || tenant == "" || user+"@"+tenant != s || strings.Contains(tenant, "@") {
			t.Fatalf("SplitLoginName(%q) = %q, %q", s, user, tenant)
		}
	})
}
