package auth

import (
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// uriEncode escapes s the way SigV4 requires: every byte except the
// unreserved characters A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex).
// With keepSlash, '/' is left alone (object paths).
func uriEncode(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// queryParam is one decoded query parameter, in wire order.
type queryParam struct{ key, value string }

// parseRawQuery splits a raw query into decoded parameters. Unlike
// url.ParseQuery it keeps going past bad escapes and semicolons (the raw text
// is used instead), because the signature decides whether the request is good.
func parseRawQuery(raw string) []queryParam {
	var out []queryParam
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, queryParam{unescapeQuery(k), unescapeQuery(v)})
	}
	return out
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// canonicalQuery builds the SigV4 canonical query string, leaving out the
// parameter named skip (X-Amz-Signature for presigned URLs).
func canonicalQuery(params []queryParam, skip string) string {
	enc := make([]queryParam, 0, len(params))
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryParam{uriEncode(p.key, false), uriEncode(p.value, false)})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].key != enc[j].key {
			return enc[i].key < enc[j].key
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalPaths returns the candidate canonical URIs of r: the path as the
// client put it on the wire, and the decoded path re-encoded with SigV4 rules
// (S3 encodes once, never twice). Clients differ in which characters they
// leave raw; trying both costs one extra HMAC only when the first fails.
func canonicalPaths(r *http.Request) []string {
	wire := r.URL.EscapedPath()
	if wire == "" {
		wire = "/"
	}
	p := r.URL.Path
	if p == "" {
		p = "/"
	}
	enc := uriEncode(p, true)
	if enc == wire {
		return []string{wire}
	}
	return []string{enc, wire}
}

// headerValue returns the canonical value of one signed header: all values
// joined by commas, each trimmed with inner runs of spaces collapsed.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return strings.TrimSpace(v)
		}
		if r.ContentLength >= 0 && len(r.TransferEncoding) == 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
		return ""
	case "transfer-encoding":
		if v := r.Header.Get("Transfer-Encoding"); v != "" {
			return strings.TrimSpace(v)
		}
		return strings.Join(r.TransferEncoding, ",")
	}
	vals := r.Header[textproto.CanonicalMIMEHeaderKey(name)]
	if len(vals) == 0 {
		// Header maps built by hand may hold non-canonical keys.
		vals = r.Header[name]
	}
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(collapseSpaces(v))
	}
	return b.String()
}

func collapseSpaces(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") && !strings.ContainsAny(v, "\t") {
		return v
	}
	return strings.Join(strings.Fields(v), " ")
}

// canonicalRequest assembles the SigV4 canonical request.
func canonicalRequest(r *http.Request, path, query string, signed []string, payloadHash string) string {
	var b strings.Builder
	b.Grow(256)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}
