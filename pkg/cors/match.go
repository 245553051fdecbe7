package cors

import (
	"net/http"
	"strconv"
	"strings"
)

// vary is the Vary value of every response of a bucket with CORS rules:
// the answer depends on these request headers, so caches must key on them.
const vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// Preflight answers a browser's OPTIONS request from c (nil when the bucket
// has no CORS configuration). origin, method and requestHeaders are the
// values of the Origin, Access-Control-Request-Method and
// Access-Control-Request-Headers headers. It returns the first rule that
// allows the request and the headers of S3's 200 answer, or an *Error:
// ErrNoOrigin, ErrNoRequestMethod (400, also for a method other than GET,
// PUT, POST, DELETE and HEAD), ErrNotEnabled or ErrNotAllowed (403, naming
// the requested Method).
func (c *Configuration) Preflight(origin, method, requestHeaders string) (*Rule, http.Header, error) {
	if origin == "" {
		return nil, nil, ErrNoOrigin
	}
	if !allowedMethods[method] {
		return nil, nil, invalidRequestMethod(method)
	}
	if c == nil || len(c.Rules) == 0 {
		return nil, nil, ErrNotEnabled.withMethod(method)
	}
	headers := splitHeaderList(requestHeaders)
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.allowsOrigin(origin) || !r.allowsMethod(method) || !r.allowsHeaders(headers) {
			continue
		}
		h := r.corsHeaders(origin)
		if len(headers) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
		}
		return r, h, nil
	}
	return nil, nil, ErrNotAllowed.withMethod(method)
}

// Actual returns the headers to add to the response of a request that is
// not a preflight, and the rule that allowed it. A bucket with CORS rules
// always gets Vary (a cached answer must not serve another origin); the
// Access-Control-* headers come only when a rule allows origin and method.
// An unmatched request is still served: it is the browser that withholds
// the response from the page. With c nil, Actual returns nil.
func (c *Configuration) Actual(origin, method string) (*Rule, http.Header) {
	if c == nil || len(c.Rules) == 0 {
		return nil, nil
	}
	if origin != "" {
		for i := range c.Rules {
			r := &c.Rules[i]
			if r.allowsOrigin(origin) && r.allowsMethod(method) {
				return r, r.corsHeaders(origin)
			}
		}
	}
	return nil, http.Header{"Vary": {vary}}
}

// corsHeaders are the headers S3 sends for a request r allows: the origin
// echoed (or "*" when the rule allows any origin, in which case credentials
// are not allowed), the rule's methods, exposed headers and max age.
func (r *Rule) corsHeaders(origin string) http.Header {
	h := http.Header{}
	if r.anyOrigin() {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
	h.Set("Vary", vary)
	return h
}

// anyOrigin reports whether the rule that matched allows every origin with
// a bare "*", which S3 answers with "Access-Control-Allow-Origin: *".
func (r *Rule) anyOrigin() bool {
	for _, o := range r.AllowedOrigins {
		if o == "*" {
			return true
		}
	}
	return false
}

// allowsOrigin matches origins case-sensitively, as S3 does; browsers send
// scheme and host in lower case.
func (r *Rule) allowsOrigin(origin string) bool {
	for _, o := range r.AllowedOrigins {
		if wildcardMatch(o, origin, nil) {
			return true
		}
	}
	return false
}

func (r *Rule) allowsMethod(method string) bool {
	for _, m := range r.AllowedMethods {
		if m == method {
			return true
		}
	}
	return false
}

// allowsHeaders reports whether every requested header matches one of the
// rule's AllowedHeader patterns; header names are case-insensitive.
func (r *Rule) allowsHeaders(requested []string) bool {
	for _, h := range requested {
		ok := false
		for _, p := range r.AllowedHeaders {
			if wildcardMatch(strings.ToLower(p), h, nil) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// splitHeaderList splits an Access-Control-Request-Headers value into its
// names, lower-cased as S3 echoes them, dropping empty items.
func splitHeaderList(v string) []string {
	var out []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	return out
}
