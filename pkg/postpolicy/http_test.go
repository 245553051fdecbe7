package postpolicy

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// uploadServer is the shape the S3 layer will give POST Object, over real
// HTTP: read the form, authorise it, stream the file through LimitLength,
// commit only at io.EOF, answer with Response or the *Error.
type uploadServer struct {
	mu      sync.Mutex
	objects map[string][]byte
	now     time.Time
}

func (s *uploadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket := strings.TrimPrefix(r.URL.Path, "/")
	err := func() error {
		f, err := ReadForm(r.Body, r.Header.Get("Content-Type"), DefaultLimits)
		if err != nil {
			return err
		}
		u, err := Authorize(f, bucket, s.now, VerifyOptions{Lookup: testLookup})
		if err != nil {
			return err
		}
		if u.Signer.Version == 0 {
			return newError("AccessDenied", http.StatusForbidden, "Access Denied")
		}
		var body bytes.Buffer // a test store; the real one streams to disk
		if _, err := io.Copy(&body, LimitLength(f.File, u.Size)); err != nil {
			return err
		}
		sum := md5.Sum(body.Bytes())
		etag := `"` + hex.EncodeToString(sum[:]) + `"`
		s.mu.Lock()
		s.objects[bucket+"/"+u.Key] = body.Bytes()
		s.mu.Unlock()
		status, h, out := Response(f, Result{Bucket: bucket, Key: u.Key, ETag: etag,
			Location: "http://" + r.Host + "/" + bucket + "/" + url.PathEscape(u.Key)})
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(out)
		return nil
	}()
	var pe *Error
	if errors.As(err, &pe) {
		w.WriteHeader(pe.Status)
		_, _ = io.WriteString(w, "<Error><Code>"+pe.Code+"</Code><Message>"+pe.Message+"</Message></Error>")
	} else if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// signedForm returns the fields of a SigV4 presigned POST for key under
// the given extra conditions, as an SDK would generate them.
func signedForm(key string, extraConds []string, extraFields ...Field) []Field {
	conds := append([]string{`{"bucket": "photos"}`, `["starts-with", "$key", "uploads/"]`,
		`{"x-amz-algorithm": "AWS4-HMAC-SHA256"}`, `{"x-amz-credential": "` + testAccessKey + `/20261127/us-east-1/s3/aws4_request"}`,
		`{"x-amz-date": "20261127T093000Z"}`}, extraConds...)
	policy := policyB64(testNow.Add(10*time.Minute), conds...)
	fields := []Field{{"key", key}}
	fields = append(fields, extraFields...)
	return append(fields, Field{"x-amz-algorithm", "AWS4-HMAC-SHA256"},
		Field{"x-amz-credential", testAccessKey + "/20261127/us-east-1/s3/aws4_request"},
		Field{"x-amz-date", "20261127T093000Z"}, Field{"policy", policy},
		Field{"x-amz-signature", SignV4(testSecret, "20261127", "us-east-1", policy)})
}

func TestPostOverHTTP(t *testing.T) {
	srv := &uploadServer{objects: map[string][]byte{}, now: testNow}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	post := func(t *testing.T, fields []Field, file []byte, trailing ...Field) (*http.Response, string) {
		t.Helper()
		body, ct := formBody(t, fields, file, "report.pdf", trailing...)
		resp, err := ts.Client().Post(ts.URL+"/photos", ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	file := bytes.Repeat([]byte("pdf!"), 256<<10) // 1 MiB
	// Refused requests send a small file: the handler answers without
	// reading it, and a body the server never drains could race the answer.
	small := file[:4096]

	t.Run("201 with PostResponse", func(t *testing.T) {
		fields := signedForm("uploads/${filename}", []string{`["content-length-range", 1, 2097152]`, `{"success_action_status": "201"}`},
			Field{"success_action_status", "201"})
		resp, body := post(t, fields, file, Field{"key", "elsewhere/after-the-file"})
		if resp.StatusCode != 201 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var pr struct{ Bucket, Key, ETag, Location string }
		if err := xml.Unmarshal([]byte(body), &pr); err != nil || pr.Key != "uploads/report.pdf" || pr.Bucket != "photos" ||
			pr.ETag != resp.Header.Get("ETag") || !strings.HasSuffix(pr.Location, "/photos/uploads%2Freport.pdf") {
			t.Fatalf("%+v %v", pr, err)
		}
		if got := srv.objects["photos/uploads/report.pdf"]; !bytes.Equal(got, file) {
			t.Fatalf("stored %d bytes", len(got))
		}
		if _, ok := srv.objects["photos/elsewhere/after-the-file"]; ok {
			t.Fatal("a field after the file was used")
		}
	})
	t.Run("too large stores nothing", func(t *testing.T) {
		fields := signedForm("uploads/big", []string{`["content-length-range", 0, 1000]`})
		resp, body := post(t, fields, small)
		if resp.StatusCode != 400 || !strings.Contains(body, "<Code>EntityTooLarge</Code>") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if _, ok := srv.objects["photos/uploads/big"]; ok {
			t.Fatal("an object past content-length-range was stored")
		}
	})
	t.Run("extra field refused", func(t *testing.T) {
		resp, body := post(t, signedForm("uploads/x", nil, Field{"acl", "public-read"}), small)
		if resp.StatusCode != 403 || !strings.Contains(body, "Invalid according to Policy: Extra input fields: acl") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("key outside the prefix", func(t *testing.T) {
		resp, body := post(t, signedForm("private/x", nil), small)
		if resp.StatusCode != 403 || !strings.Contains(body, `Policy Condition failed: ["starts-with", "$key", "uploads/"]`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("anonymous refused by the caller", func(t *testing.T) {
		resp, body := post(t, []Field{{"key", "uploads/anon"}}, small)
		if resp.StatusCode != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		fields := signedForm("uploads/r", []string{`["starts-with", "$success_action_redirect", "http://127.0.0.1/"]`},
			Field{"success_action_redirect", "http://127.0.0.1/done"})
		body, ct := formBody(t, fields, []byte("x"), "r")
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Post(ts.URL+"/photos", ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "http://127.0.0.1/done?bucket=photos&key=uploads%2Fr&etag=%229dd4e461268c8034f5c8564e155c67a6%22" {
			t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestPostStreamsOverHTTP sends a 64 MiB file through a pipe and checks
// that the handler is already consuming it while the client is still
// writing: the file is never gathered before the policy is checked.
func TestPostStreamsOverHTTP(t *testing.T) {
	reading := make(chan struct{})
	var once sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := ReadForm(r.Body, r.Header.Get("Content-Type"), DefaultLimits)
		if err != nil {
			t.Error(err)
			return
		}
		buf := make([]byte, 32<<10)
		var n int64
		for {
			k, err := f.File.Read(buf)
			n += int64(k)
			if n > 0 {
				once.Do(func() { close(reading) })
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer ts.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		_ = mw.WriteField("key", "k")
		part, _ := mw.CreateFormFile("file", "big.bin")
		chunk := bytes.Repeat([]byte{7}, 1<<20)
		for i := 0; i < 64; i++ {
			if i == 1 {
				// The server must be reading before the rest is even written.
				select {
				case <-reading:
				case <-time.After(10 * time.Second):
					pw.CloseWithError(errors.New("server did not start reading the file"))
					return
				}
			}
			_, _ = part.Write(chunk)
		}
		mw.Close()
		pw.Close()
	}()
	resp, err := ts.Client().Post(ts.URL+"/b", mw.FormDataContentType(), pr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}
