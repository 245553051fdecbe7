package auth

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseV4Header(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	good := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig
	if a, err := parseV4Header(good); err != nil || a.scope.accessKey != "AKIAIOSFODNN7EXAMPLE" ||
		a.scope.region != "us-east-1" || len(a.signedHeaders) != 2 || a.signature != sig {
		t.Fatalf("good header: %+v %v", a, err)
	}
	for _, c := range []struct{ name, h, want string }{
		{"other algorithm", strings.Replace(good, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1), "UnsupportedAuth"},
		{"no space after algorithm", strings.Replace(good, "SHA256 ", "SHA256", 1), "UnsupportedAuth"},
		{"missing signature", strings.Split(good, ", Signature")[0], "MalformedAuth"},
		{"repeated field", good + ", Signature=" + sig, "MalformedAuth"},
		{"unknown field", good + ", Foo=bar", "MalformedAuth"},
		{"field without value", good + ", Foo", "MalformedAuth"},
		{"short credential", strings.Replace(good, "/us-east-1/s3/aws4_request", "/s3/aws4_request", 1), "MalformedAuth"},
		{"bad date", strings.Replace(good, "/20130524/", "/2013052x/", 1), "MalformedAuth"},
		{"empty region", strings.Replace(good, "/us-east-1/", "//", 1), "MalformedAuth"},
		{"other service", strings.Replace(good, "/s3/", "/iam/", 1), "MalformedAuth"},
		{"bad terminator", strings.Replace(good, "aws4_request", "aws4_reqest", 1), "MalformedAuth"},
		{"empty access key", strings.Replace(good, "AKIAIOSFODNN7EXAMPLE/", "/", 1), "MalformedAuth"},
		{"no host signed", strings.Replace(good, "host;x-amz-date", "x-amz-date", 1), "MalformedAuth"},
		{"upper-case signed header", strings.Replace(good, "host;x-amz-date", "host;X-Amz-Date", 1), "MalformedAuth"},
		{"empty signed header", strings.Replace(good, "host;x-amz-date", "host;;x-amz-date", 1), "MalformedAuth"},
		{"short signature", strings.Replace(good, sig, sig[:62], 1), "MalformedAuth"},
		{"non-hex signature", strings.Replace(good, sig, strings.Repeat("zz", 32), 1), "MalformedAuth"},
		{"huge", good + strings.Repeat(" ", maxAuthHeaderLen), "MalformedAuth"},
	} {
		if _, err := parseV4Header(c.h); err == nil || sentinelName(err) != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}
	// An access key may itself contain '/': the scope is taken from the right.
	if a, err := parseV4Header(strings.Replace(good, "AKIAIOSFODNN7EXAMPLE", "AK/ID", 1)); err != nil || a.scope.accessKey != "AK/ID" {
		t.Fatalf("slash in key: %+v %v", a, err)
	}
}

func TestRequestTime(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://h/", nil)
	if _, _, err := requestTime(r); sentinelName(err) != "MalformedAuth" {
		t.Fatalf("no date: %v", err)
	}
	r.Header.Set("Date", "Fri, 24 May 2013 00:00:00 GMT")
	tm, ts, err := requestTime(r)
	if err != nil || ts != "20130524T000000Z" || !tm.Equal(time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Date header: %v %q %v", tm, ts, err)
	}
	r.Header.Set("X-Amz-Date", "20130524T010203Z")
	if _, ts, err := requestTime(r); err != nil || ts != "20130524T010203Z" {
		t.Fatalf("x-amz-date wins: %q %v", ts, err)
	}
	r.Header.Set("X-Amz-Date", "2013-05-24")
	if _, _, err := requestTime(r); sentinelName(err) != "MalformedAuth" {
		t.Fatalf("bad x-amz-date: %v", err)
	}
}

func TestUriEncode(t *testing.T) {
	for in, want := range map[string]string{
		"a b+c/d~e_f.g-h": "a%20b%2Bc/d~e_f.g-h",
		"é*'()!":          "%C3%A9%2A%27%28%29%21",
		"":                "",
	} {
		if got := uriEncode(in, true); got != want {
			t.Errorf("uriEncode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := uriEncode("a/b", false); got != "a%2Fb" {
		t.Errorf("query encoding keeps slash: %q", got)
	}
	params := parseRawQuery("b=2&a=%zz&uploads&a=1&&c=x+y")
	if got := canonicalQuery(params, ""); got != "a=%25zz&a=1&b=2&c=x%20y&uploads=" {
		t.Errorf("canonicalQuery = %q", got)
	}
}
