package postpolicy

import (
	"encoding/xml"
	"net/http"
	"net/url"
)

// Result is what the S3 layer stored for a POST upload.
type Result struct {
	Bucket, Key string
	// ETag is the quoted entity tag, as in an ETag header.
	ETag string
	// Location is the object's URL.
	Location string
}

// postResponse is the body of a 201 answer.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// Response returns S3's answer to a successful POST upload with form f:
// a 303 to success_action_redirect (or the older redirect field) with
// bucket, key and etag added to its query, when that is an absolute http(s)
// URL (S3 ignores a URL it cannot interpret; other schemes are refused here
// so a form cannot send the browser to a javascript: URL); else
// success_action_status 200 (empty), 201 (PostResponse XML) or, for any
// other or no value, 204 (empty). ETag and Location headers come with all.
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
		b, err := xml.Marshal(postResponse{Location: res.Location, Bucket: res.Bucket, Key: res.Key, ETag: res.ETag})
		if err != nil {
			// Marshal of four strings cannot fail; answer as S3's default.
			return http.StatusNoContent, header, nil
		}
		header.Set("Content-Type", "application/xml")
		return http.StatusCreated, header, append([]byte(xml.Header), b...)
	}
	return http.StatusNoContent, header, nil
}

// redirectURL builds the redirect target of a form, if it names a usable one.
func redirectURL(f *Form, res Result) (string, bool) {
	raw, ok := f.Get("success_action_redirect")
	if !ok || raw == "" {
		raw, ok = f.Get("redirect")
	}
	if !ok || raw == "" {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	q := u.Query()
	q.Set("bucket", res.Bucket)
	q.Set("key", res.Key)
	q.Set("etag", res.ETag)
	u.RawQuery = q.Encode()
	return u.String(), true
}
