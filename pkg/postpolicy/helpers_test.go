package postpolicy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

const testBoundary = "----coffer-boundary-7MA4YWxkTrZu0gW"

// formBody builds a multipart/form-data body: fields in order, then a file
// part (unless file is nil), then trailing fields. It returns the body and
// its Content-Type.
func formBody(t testing.TB, fields []Field, file []byte, filename string, trailing ...Field) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(testBoundary); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if err := w.WriteField(f.Name, f.Value); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
		h.Set("Content-Type", "image/png")
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(file)
	}
	for _, f := range trailing {
		_ = w.WriteField(f.Name, f.Value)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// mustForm reads a body built by formBody.
func mustForm(t testing.TB, fields []Field, file []byte) *Form {
	t.Helper()
	body, ct := formBody(t, fields, file, "photo.png")
	f, err := ReadForm(bytes.NewReader(body), ct, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// policyB64 encodes a policy document with the given expiration and
// conditions (JSON fragments).
func policyB64(exp time.Time, conditions ...string) string {
	doc := `{"expiration": "` + exp.UTC().Format("2006-01-02T15:04:05.000Z") + `", "conditions": [` + strings.Join(conditions, ", ") + `]}`
	return base64.StdEncoding.EncodeToString([]byte(doc))
}

// wantError fails unless err is an *Error with this code, status and message.
func wantError(t testing.TB, err error, code string, status int, msg string) *Error {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *Error %s", err, code)
	}
	if pe.Code != code || pe.Status != status || pe.Message != msg {
		t.Fatalf("got %d %s %q\nwant %d %s %q", pe.Status, pe.Code, pe.Message, status, code, msg)
	}
	return pe
}

func fieldValue0(e *Error, name string) string {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return "<missing>"
}

var _ = io.EOF
