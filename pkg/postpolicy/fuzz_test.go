package postpolicy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FuzzPostForm feeds arbitrary bodies to ReadForm: it never panics, fails
// only with an *Error, and before it hands out the file it has read and
// kept no more than its limits allow, whatever the input.
func FuzzPostForm(f *testing.F) {
	good, _ := formBody(f, []Field{{"key", "a/${filename}"}, {"policy", "cG9s"}}, []byte("file body"), "f.txt", Field{"after", "x"})
	f.Add(good)
	f.Add([]byte("--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--" + testBoundary + "--\r\n"))
	f.Add([]byte("--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"k\"; filename*=UTF-8''%e2%82%ac\r\n\r\nv\r\n--" + testBoundary + "--"))
	f.Add([]byte("preamble\r\n--" + testBoundary + "\r\n\r\n"))
	f.Add([]byte{})
	lim := Limits{MaxPreData: 2048, MaxFieldSize: 1024, MaxFields: 8}
	budget := lim.MaxPreData + rawSlack
	f.Fuzz(func(t *testing.T, body []byte) {
		cr := &countingReader{r: bytes.NewReader(body)}
		form, err := ReadForm(cr, "multipart/form-data; boundary="+testBoundary, lim)
		if cr.n > budget {
			t.Fatalf("read %d bytes before the file, budget %d", cr.n, budget)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		var kept int64
		for _, fd := range form.Fields() {
			kept += int64(len(fd.Name) + len(fd.Value))
			if int64(len(fd.Value)) > lim.MaxFieldSize || strings.EqualFold(fd.Name, "file") {
				t.Fatalf("field %q of %d bytes", fd.Name, len(fd.Value))
			}
		}
		if kept > lim.MaxPreData || len(form.Fields()) > lim.MaxFields {
			t.Fatalf("kept %d bytes in %d fields", kept, len(form.Fields()))
		}
		_, _ = form.Key()
		if u, err := Authorize(form, "b", time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), VerifyOptions{Lookup: testLookup}); err == nil && u.Signer.Version != 0 && u.Policy == nil {
			t.Fatal("a signed form was authorised without a policy")
		}
		io.Copy(io.Discard, LimitLength(form.File, Range{1, 64}))
	})
}

// FuzzPostPolicy parses arbitrary policy documents and checks a form
// against them: no panics, only *Error failures, and a form that passes
// has every non-exempt field named by a condition and meets each one.
func FuzzPostPolicy(f *testing.F) {
	f.Add(`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"bucket": "b"}, ["starts-with", "$key", "u/"], ["content-length-range", 0, 10]]}`, "u/x", "image/png, image/gif", "b")
	f.Add(`{"expiration": "2030-01-01T00:00:00.000Z", "conditions": [["eq", "$Content-Type", "a"], {"key": "k"}, ["starts-with", "$content-type", "a"]]}`, "k", "a", "b")
	f.Add(`{"expiration": "2000-01-01T00:00:00Z", "conditions": []}`, "", "", "")
	f.Add(`{"conditions": [["content-length-range", "1", "2"]], "expiration": "2030-01-01T00:00:00+02:00"}`, "k", "", "b")
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc, key, contentType, bucket string) {
		p, err := ParsePolicy(base64.StdEncoding.EncodeToString([]byte(doc)))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != "InvalidPolicyDocument" {
				t.Fatalf("error %v", err)
			}
			return
		}
		form := &Form{index: map[string]int{}}
		for _, fd := range []Field{{"key", key}, {"Content-Type", contentType}, {"x-ignore-a", "1"}} {
			form.index[strings.ToLower(fd.Name)] = len(form.fields)
			form.fields = append(form.fields, fd)
		}
		size, err := p.Check(form, bucket, now)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != "AccessDenied" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if !now.Before(p.Expiration) {
			t.Fatal("expired policy passed")
		}
		covered := map[string]bool{}
		for _, c := range p.Conditions {
			covered[c.Field] = true
			switch c.Op {
			case opEq:
				if v, _ := fieldValue(form, bucket, c.Field); v != c.Value {
					t.Fatalf("eq %q passed with %q", c.Value, v)
				}
			case opLengthRange:
				if size.Min < c.Min || size.Max > c.Max {
					t.Fatalf("range %v wider than condition %d-%d", size, c.Min, c.Max)
				}
			}
		}
		if !covered["key"] || !covered["content-type"] {
			t.Fatalf("uncovered field passed: %v", covered)
		}
	})
}
