package cors

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t testing.TB, body string) *Configuration {
	t.Helper()
	c, err := Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const matchConfig = `<CORSConfiguration>
<CORSRule>
  <ID>uploads</ID>
  <AllowedOrigin>https://*.example.com</AllowedOrigin>
  <AllowedMethod>PUT</AllowedMethod>
  <AllowedMethod>POST</AllowedMethod>
  <AllowedHeader>Content-*</AllowedHeader>
  <AllowedHeader>x-amz-meta-owner</AllowedHeader>
  <ExposeHeader>ETag</ExposeHeader>
  <ExposeHeader>x-amz-version-id</ExposeHeader>
  <MaxAgeSeconds>600</MaxAgeSeconds>
</CORSRule>
<CORSRule>
  <ID>read</ID>
  <AllowedOrigin>*</AllowedOrigin>
  <AllowedMethod>GET</AllowedMethod>
  <AllowedMethod>HEAD</AllowedMethod>
  <AllowedHeader>*</AllowedHeader>
</CORSRule>
</CORSConfiguration>`

func TestPreflight(t *testing.T) {
	c := mustParse(t, matchConfig)
	vary := []string{"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"}
	cases := []struct {
		name, origin, method, headers string
		rule                          string
		want                          http.Header
		err                           *Error
	}{
		{"upload with headers", "https://app.example.com", "PUT", "content-type, X-Amz-Meta-Owner", "uploads", http.Header{
			"Access-Control-Allow-Origin":      {"https://app.example.com"},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"PUT, POST"},
			"Access-Control-Allow-Headers":     {"content-type, x-amz-meta-owner"},
			"Access-Control-Expose-Headers":    {"ETag, x-amz-version-id"},
			"Access-Control-Max-Age":           {"600"},
			"Vary":                             vary,
		}, nil},
		{"upload without headers", "https://a.b.example.com", "POST", "", "uploads", http.Header{
			"Access-Control-Allow-Origin":      {"https://a.b.example.com"},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"PUT, POST"},
			"Access-Control-Expose-Headers":    {"ETag, x-amz-version-id"},
			"Access-Control-Max-Age":           {"600"},
			"Vary":                             vary,
		}, nil},
		{"any origin read", "http://elsewhere.test", "GET", "range,  ,authorization", "read", http.Header{
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Methods": {"GET, HEAD"},
			"Access-Control-Allow-Headers": {"range, authorization"},
			"Vary":                         vary,
		}, nil},
		{"header not allowed falls through to no rule", "https://app.example.com", "PUT", "x-amz-meta-other", "", nil, ErrNotAllowed},
		{"method not allowed", "http://elsewhere.test", "DELETE", "", "", nil, ErrNotAllowed},
		{"unknown method", "https://app.example.com", "PATCH", "", "", nil, invalidRequestMethod("PATCH")},
		{"method is case-sensitive", "https://app.example.com", "put", "", "", nil, invalidRequestMethod("put")},
		{"origin wildcard needs the suffix", "https://example.com.evil.test", "PUT", "", "", nil, ErrNotAllowed},
		{"origin scheme differs", "http://app.example.com", "PUT", "", "", nil, ErrNotAllowed},
		{"no origin", "", "GET", "", "", nil, ErrNoOrigin},
		{"no method", "https://app.example.com", "", "", "", nil, ErrNoRequestMethod},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, h, err := c.Preflight(tc.origin, tc.method, tc.headers)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || r != nil || h != nil {
					t.Fatalf("got %v %v %v, want %v", r, h, err, tc.err)
				}
				var ce *Error
				errors.As(err, &ce)
				if ce.Status == 403 && (len(ce.Fields) != 1 || ce.Fields[0] != (Field{"Method", tc.method})) {
					t.Fatalf("403 fields %v, want Method %s", ce.Fields, tc.method)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.ID != tc.rule {
				t.Fatalf("rule %q, want %q", r.ID, tc.rule)
			}
			if !reflect.DeepEqual(h, tc.want) {
				t.Fatalf("headers\n%v\nwant\n%v", h, tc.want)
			}
		})
	}
}

func TestPreflightErrorsAsS3(t *testing.T) {
	if ErrNotAllowed.Status != 403 || ErrNotAllowed.Code != "AccessForbidden" ||
		!strings.HasPrefix(ErrNotAllowed.Message, "CORSResponse: This CORS request is not allowed.") {
		t.Fatalf("ErrNotAllowed = %+v", ErrNotAllowed)
	}
	var nilConfig *Configuration
	if _, _, err := nilConfig.Preflight("https://a", "GET", ""); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("no configuration: %v", err)
	}
	if _, _, err := (&Configuration{}).Preflight("https://a", "GET", ""); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("empty configuration: %v", err)
	}
	if ErrNotEnabled.Status != 403 || ErrNoOrigin.Status != 400 {
		t.Fatal("statuses")
	}
	if ErrNoRequestMethod.Message != "Invalid Access-Control-Request-Method: null" || ErrNoRequestMethod.Code != "BadRequest" {
		t.Fatalf("ErrNoRequestMethod = %+v", ErrNoRequestMethod)
	}
	_, _, err := nilConfig.Preflight("https://a", "OPTIONS", "")
	if e, ok := err.(*Error); !ok || e.Status != 400 || e.Message != "Invalid Access-Control-Request-Method: OPTIONS" {
		t.Fatalf("OPTIONS as the requested method: %v", err)
	}
}

func TestActual(t *testing.T) {
	c := mustParse(t, matchConfig)
	vary := "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

	r, h := c.Actual("https://x.example.com", "PUT")
	if r == nil || r.ID != "uploads" || h.Get("Access-Control-Allow-Origin") != "https://x.example.com" ||
		h.Get("Access-Control-Expose-Headers") != "ETag, x-amz-version-id" || h.Get("Access-Control-Allow-Credentials") != "true" ||
		h.Get("Vary") != vary || h.Get("Access-Control-Allow-Headers") != "" {
		t.Fatalf("upload: %v %v", r, h)
	}
	r, h = c.Actual("https://x.example.com", "GET")
	if r == nil || r.ID != "read" || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("read: %v %v", r, h)
	}
	// No rule allows DELETE: the response is still served, with Vary only.
	r, h = c.Actual("https://x.example.com", "DELETE")
	if r != nil || !reflect.DeepEqual(h, http.Header{"Vary": {vary}}) {
		t.Fatalf("delete: %v %v", r, h)
	}
	r, h = c.Actual("", "GET")
	if r != nil || !reflect.DeepEqual(h, http.Header{"Vary": {vary}}) {
		t.Fatalf("no origin: %v %v", r, h)
	}
	var none *Configuration
	if r, h := none.Actual("https://x.example.com", "GET"); r != nil || h != nil {
		t.Fatalf("no configuration: %v %v", r, h)
	}
}

func TestFirstMatchingRuleWins(t *testing.T) {
	c := mustParse(t, rulesXML(
		`<CORSRule><ID>one</ID><AllowedOrigin>https://a.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds></CORSRule>`,
		`<CORSRule><ID>two</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>2</MaxAgeSeconds></CORSRule>`))
	r, h, err := c.Preflight("https://a.test", "GET", "")
	if err != nil || r.ID != "one" || h.Get("Access-Control-Max-Age") != "1" {
		t.Fatalf("%v %v %v", r, h, err)
	}
	r, h, err = c.Preflight("https://b.test", "GET", "")
	if err != nil || r.ID != "two" || h.Get("Access-Control-Max-Age") != "2" {
		t.Fatalf("%v %v %v", r, h, err)
	}
}
