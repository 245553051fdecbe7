package cors

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzCORSConfig parses arbitrary bodies: Parse never panics, fails only
// with an *Error, and what it accepts marshals to a document that parses
// back to the same configuration and answers preflights without panicking.
func FuzzCORSConfig(f *testing.F) {
	f.Add([]byte(matchConfig), "https://app.example.com", "PUT", "content-type")
	f.Add([]byte(rulesXML(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`)), "http://x", "GET", "")
	f.Add([]byte(`<CORSConfiguration><CORSRule><AllowedOrigin>a*b</AllowedOrigin><AllowedMethod>DELETE</AllowedMethod><AllowedHeader>*x</AllowedHeader><MaxAgeSeconds>7</MaxAgeSeconds></CORSRule></CORSConfiguration>`), "aXb", "DELETE", "yx, x")
	f.Add([]byte(`<CORSConfiguration><CORSRule><AllowedMethod>PATCH</AllowedMethod></CORSRule>`), "", "", "")
	f.Fuzz(func(t *testing.T, body []byte, origin, method, headers string) {
		c, err := Parse(bytes.NewReader(body))
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if len(c.Rules) == 0 || len(c.Rules) > MaxRules {
			t.Fatalf("accepted %d rules", len(c.Rules))
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip changed the configuration:\n%+v\n%+v", c, back)
		}
		req := Request{Method: "OPTIONS", Origin: origin, RequestMethod: method, RequestHeaders: headers, Object: true}
		r, h, err := c.Preflight(req)
		if err == nil && (r == nil || h.Get("Access-Control-Allow-Origin") == "") {
			t.Fatalf("allowed preflight without a rule or origin header: %v %v", r, h)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("preflight error %v is not an *Error", err)
			}
		}
		c.Actual(Request{Method: method, Origin: origin})
	})
}
