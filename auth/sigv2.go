package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// subResourcesV2 are the query parameters that belong to the SigV2
// CanonicalizedResource (the S3 V2 signing documentation's list plus the
// sub-resources S3 added later).
var subResourcesV2 = map[string]bool{
	"accelerate": true, "acl": true, "analytics": true, "cors": true, "delete": true,
	"encryption": true, "inventory": true, "legal-hold": true, "lifecycle": true,
	"location": true, "logging": true, "metrics": true, "notification": true,
	"object-lock": true, "partNumber": true, "policy": true, "replication": true,
	"requestPayment": true, "restore": true, "retention": true, "select": true,
	"select-type": true, "tagging": true, "torrent": true, "uploadId": true,
	"uploads": true, "versionId": true, "versioning": true, "versions": true,
	"website": true, "response-cache-control": true, "response-content-disposition": true,
	"response-content-encoding": true, "response-content-language": true, "response-content-type": true,
	"response-expires": true,
}

// signV2 returns the base64 HMAC-SHA1 signature of a string to sign.
func signV2(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// canonicalAmzHeadersV2 returns the x-amz-* headers, lower case, sorted,
// one "name:value\n" each.
func canonicalAmzHeadersV2(r *http.Request) string {
	var names []string
	vals := map[string][]string{}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-") {
			continue
		}
		if _, ok := vals[lk]; !ok {
			names = append(names, lk)
		}
		for _, v := range vs {
			vals[lk] = append(vals[lk], strings.TrimSpace(v)) // V2 trims only; inner spaces are signed as sent
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + ":" + strings.Join(vals[n], ",") + "\n")
	}
	return b.String()
}

// subResourceStringV2 returns "?a&b=c" of the signed sub-resources, sorted.
func subResourceStringV2(params []queryParam) string {
	var subs []queryParam
	for _, p := range params {
		if subResourcesV2[p.key] {
			subs = append(subs, p)
		}
	}
	if len(subs) == 0 {
		return ""
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].key < subs[j].key })
	var b strings.Builder
	for i, p := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		if p.value != "" {
			b.WriteString("=" + p.value)
		}
	}
	return b.String()
}

// canonicalResourcePrefixV2 is the "/bucket" that starts the SigV2
// CanonicalizedResource of a virtual-hosted-style request. V2 does not sign
// the Host header, so the bucket must come from the router's decision (t):
// trying several guesses would let a signature for one bucket's resource
// verify a request the router sends to another bucket.
func canonicalResourcePrefixV2(t Target) string {
	if t.HostBucket == "" {
		return ""
	}
	return "/" + t.HostBucket
}

// matchV2 reports whether sig matches the string to sign of r's one
// canonical resource. The path is tried as sent and re-encoded (both decode
// to the key the router uses), and a path-style bucket URL "/bucket" also as
// "/bucket/", which botocore signs.
func (v *Verifier) matchV2(r *http.Request, t Target, secret, dateLine, sig string) bool {
	head := r.Method + "\n" + r.Header.Get("Content-Md5") + "\n" + r.Header.Get("Content-Type") + "\n" +
		dateLine + "\n" + canonicalAmzHeadersV2(r)
	subs := subResourceStringV2(parseRawQuery(r.URL.RawQuery))
	prefix := canonicalResourcePrefixV2(t)
	for _, path := range canonicalPaths(r) {
		if signatureV2Matches(secret, head+prefix+path+subs, sig) {
			return true
		}
		if prefix == "" && len(path) > 1 && !strings.Contains(path[1:], "/") &&
			signatureV2Matches(secret, head+path+"/"+subs, sig) {
			return true
		}
	}
	return false
}

func signatureV2Matches(secret, stringToSign, sig string) bool {
	return hmac.Equal([]byte(signV2(secret, stringToSign)), []byte(sig))
}

// parseHTTPDate accepts the HTTP date formats plus RFC 1123 with a numeric
// zone ("Tue, 27 Mar 2007 19:36:42 +0000"), which S3 clients also send.
func parseHTTPDate(s string) (time.Time, error) {
	if t, err := http.ParseTime(s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC1123Z, s); err == nil {
		return t, nil
	}
	return time.Parse(iso8601Basic, s)
}

func (v *Verifier) verifyV2Header(r *http.Request, target Target, authz string) (*Verified, error) {
	if len(authz) > maxAuthHeaderLen {
		return nil, fmt.Errorf("%w: Authorization header too long", ErrMalformedAuth)
	}
	cred := strings.TrimPrefix(authz, "AWS ")
	i := strings.LastIndexByte(cred, ':')
	if i <= 0 || i == len(cred)-1 {
		return nil, fmt.Errorf("%w: expected AWS AccessKeyId:Signature", ErrMalformedAuth)
	}
	accessKey, sig := cred[:i], cred[i+1:]
	var t time.Time
	var err error
	dateLine := r.Header.Get("Date")
	if s := r.Header.Get("X-Amz-Date"); s != "" {
		dateLine = ""
		t, err = parseHTTPDate(s)
	} else if dateLine != "" {
		t, err = parseHTTPDate(dateLine)
	} else {
		return nil, fmt.Errorf("%w: Date or x-amz-date header required", ErrMalformedAuth)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: bad request date", ErrMalformedAuth)
	}
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	id, secret, err := v.secretFor(accessKey)
	if err != nil {
		return nil, err
	}
	if !v.matchV2(r, target, secret, dateLine, sig) {
		return nil, ErrSignatureMismatch
	}
	return v.payload(r, id, modeUnsigned, "", chunkSigner{})
}

func (v *Verifier) verifyV2Query(r *http.Request, t Target, q url.Values) (*Verified, error) {
	accessKey, sig, exp := q.Get("AWSAccessKeyId"), q.Get("Signature"), q.Get("Expires")
	if accessKey == "" || sig == "" || exp == "" || len(q["Signature"]) != 1 || len(q["AWSAccessKeyId"]) != 1 {
		return nil, fmt.Errorf("%w: AWSAccessKeyId, Signature and Expires are required", ErrMalformedAuth)
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !allDigits(exp) {
		return nil, fmt.Errorf("%w: Expires must be a Unix time", ErrMalformedAuth)
	}
	now := v.now().Unix()
	if now > secs {
		return nil, ErrExpired
	}
	// V2 URLs carry no signing time, so the 7-day limit of SigV4 applies to
	// what is left of their life: a URL may not outlive the next week.
	if secs-now > maxPresignExpires {
		return nil, fmt.Errorf("%w: Expires must be less than a week (%d seconds) from now", ErrMalformedAuth, maxPresignExpires)
	}
	id, secret, err := v.secretFor(accessKey)
	if err != nil {
		return nil, err
	}
	if !v.matchV2(r, t, secret, exp, sig) {
		return nil, ErrSignatureMismatch
	}
	return v.payload(r, id, modeUnsigned, "", chunkSigner{})
}
