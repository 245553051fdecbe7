package postpolicy

import (
	"net/http"
	"net/url"
	"strings"
)

// Result is what the S3 layer stored for a POST upload.
type Result struct {
	Bucket, Key string
	// ETag is the quoted entity tag, as in an ETag header.
	ETag string
	// Location is the object's URL, its key percent-encoded including '/'
	// as S3 writes it.
	Location string
}

// Response returns S3's answer to a successful POST upload with form f:
//   - a 303 to success_action_redirect (or the older redirect field) when it
//     is an absolute http(s) URL, with bucket, key and etag appended to its
//     query as S3 appends them (S3 ignores a URL it cannot interpret, and
//     other schemes are refused here so a form cannot send the browser to a
//     javascript: URL);
//   - else success_action_status 200 (empty), 201 (a PostResponse document)
//     or, for any other or no value, 204 (empty).
//
// ETag and Location headers come with every answer.
func Response(f *Form, res Result) (status int, header http.Header, body []byte) {
	header = http.Header{}
	header.Set("ETag", res.ETag)
	if to, ok := redirectURL(f, res); ok {
		header.Set("Location", to)
		return http.StatusSeeOther, header, nil
	}
	if res.Location != "" {
		header.Set("Location", res.Location)
	}
	want, _ := f.Get("success_action_status")
	switch want {
	case "200":
		return http.StatusOK, header, nil
	case "201":
		header.Set("Content-Type", "application/xml")
		return http.StatusCreated, header, postResponse(res)
	}
	return http.StatusNoContent, header, nil
}

// postResponse renders the 201 document as S3 does: no namespace, and the
// ETag's quotes written as quotes (clients have parsed it with regexps).
func postResponse(res Result) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<PostResponse>")
	for _, e := range []Field{{"Location", res.Location}, {"Bucket", res.Bucket}, {"Key", res.Key}, {"ETag", res.ETag}} {
		b.WriteString("<" + e.Name + ">" + textEscaper.Replace(e.Value) + "</" + e.Name + ">")
	}
	b.WriteString("</PostResponse>")
	return []byte(b.String())
}

// textEscaper escapes XML character data; quotes need no escaping there.
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")

// redirectURL builds the redirect target of a form, if it names a usable
// one: the URL as sent (its own query kept as is), then bucket, key and
// etag form-encoded in that order, as S3 appends them.
func redirectURL(f *Form, res Result) (string, bool) {
	raw, ok := f.Get("success_action_redirect")
	if !ok || raw == "" {
		raw, ok = f.Get("redirect")
	}
	if !ok || raw == "" {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(raw, "\r\n") {
		return "", false
	}
	base, fragment, hasFragment := strings.Cut(raw, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	to := base + sep + "bucket=" + url.QueryEscape(res.Bucket) + "&key=" + url.QueryEscape(res.Key) +
		"&etag=" + url.QueryEscape(res.ETag)
	if hasFragment {
		to += "#" + fragment
	}
	return to, true
}
