package cors

import (
	"net/http"
	"strconv"
	"strings"
)

// vary is the Vary value of every response of a bucket with CORS rules:
// the answer depends on these request headers, so caches must key on them.
const vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// Request is what a request tells CORS: its method, the CORS request
// headers, and whether its URL names an object (a key) or the bucket.
type Request struct {
	// Method is the HTTP method (OPTIONS for a preflight).
	Method string
	// Origin, RequestMethod and RequestHeaders are the values of the
	// Origin, Access-Control-Request-Method and
	// Access-Control-Request-Headers headers.
	Origin, RequestMethod, RequestHeaders string
	// Object is true when the URL names a key; refused preflights report
	// ResourceType OBJECT then, BUCKET otherwise.
	Object bool
}

// NewRequest reads a Request from an HTTP method and header.
func NewRequest(method string, h http.Header, object bool) Request {
	return Request{
		Method:         method,
		Origin:         h.Get("Origin"),
		RequestMethod:  h.Get("Access-Control-Request-Method"),
		RequestHeaders: strings.Join(h.Values("Access-Control-Request-Headers"), ","),
		Object:         object,
	}
}

// Preflight answers a browser's OPTIONS request from c (nil when the bucket
// has no CORS configuration), in the order S3 was observed to: no Origin is
// ErrNoOrigin (400); no configuration is ErrNotEnabled (403, ResourceType
// BUCKET); a requested method that is missing or not one of the five a rule
// may name is ErrNoRequestMethod's 400; no rule that allows the origin, the
// method and every requested header is ErrNotAllowed (403). Both 403s name
// the requested Method (OPTIONS when none was requested). It returns the
// first rule that allows the request and the headers of S3's 200 answer.
func (c *Configuration) Preflight(r Request) (*Rule, http.Header, error) {
	if r.Origin == "" {
		return nil, nil, ErrNoOrigin
	}
	if c == nil || len(c.Rules) == 0 {
		m := r.RequestMethod
		if m == "" {
			m = http.MethodOptions
		}
		return nil, nil, ErrNotEnabled.refused(m, false)
	}
	if !allowedMethods[r.RequestMethod] {
		return nil, nil, invalidRequestMethod(r.RequestMethod)
	}
	headers := splitHeaderList(r.RequestHeaders)
	for i := range c.Rules {
		rule := &c.Rules[i]
		if !rule.allowsOrigin(r.Origin) || !rule.allowsMethod(r.RequestMethod) || !rule.allowsHeaders(headers) {
			continue
		}
		h := rule.corsHeaders(r.Origin)
		if len(headers) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
		}
		return rule, h, nil
	}
	return nil, nil, ErrNotAllowed.refused(r.RequestMethod, r.Object)
}

// Actual returns the headers to add to the response of a request that is
// not a preflight, and the rule that allowed it; they belong on error
// responses too. The method matched is Access-Control-Request-Method when
// the request carries one (as S3 does), else the request's own; requested
// headers are not checked. A bucket with rules always gets Vary (a cached
// answer must not serve another origin); the Access-Control-* headers come
// only when a rule allows origin and method. An unmatched request is still
// served: it is the browser that withholds the response from the page.
// With c nil, Actual returns nil.
func (c *Configuration) Actual(r Request) (*Rule, http.Header) {
	if c == nil || len(c.Rules) == 0 {
		return nil, nil
	}
	method := r.RequestMethod
	if method == "" {
		method = r.Method
	}
	if r.Origin != "" {
		for i := range c.Rules {
			rule := &c.Rules[i]
			if rule.allowsOrigin(r.Origin) && rule.allowsMethod(method) {
				return rule, rule.corsHeaders(r.Origin)
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

// allowsOrigin matches origins case-sensitively (S3's behaviour is not
// recorded; browsers send scheme and host in lower case).
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

// allowsHeaders reports whether every requested header (lower-cased)
// matches one of the rule's AllowedHeader patterns; header names are
// case-insensitive. A rule without AllowedHeader allows none.
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
// names, lower-cased as S3 echoes them, in the order requested, dropping
// empty items.
func splitHeaderList(v string) []string {
	var out []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	return out
}
