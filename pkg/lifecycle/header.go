package lifecycle

import (
	"net/http"
	"strings"
	"time"
)

// ExpirationHeader is the x-amz-expiration value for a current object version
// (PUT/HEAD/GET): the date the earliest enabled rule will expire it and that
// rule's ID, in AWS's form
//
//	expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"
//
// The rule ID is URL-encoded, as AWS documents. ok is false when no rule will
// expire the object (then the header is not sent). Delete markers and
// noncurrent versions get no header.
func (c *Configuration) ExpirationHeader(o *Object) (value string, ok bool) {
	if !o.IsLatest || o.IsDeleteMarker {
		return "", false
	}
	d := c.Next(o)
	if d.Action != ActionDelete && d.Action != ActionAddDeleteMarker {
		return "", false
	}
	return `expiry-date="` + httpDate(d.Due) + `", rule-id="` + urlEncode(d.RuleID) + `"`, true
}

// httpDate is the RFC 1123 GMT form S3 uses in headers.
func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// urlEncode percent-encodes every byte but RFC 3986's unreserved characters,
// so the value can neither end the quoted string nor break the header.
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
