package postpolicy

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestReadForm(t *testing.T) {
	fields := []Field{{"Key", "user/${filename}"}, {"Policy", "cG9saWN5"}, {"x-amz-meta-owner", "eric"}, {"Content-Type", "image/png"}}
	file := bytes.Repeat([]byte("0123456789"), 1000)
	body, ct := formBody(t, fields, file, "cat.png", Field{"submit", "Upload"}, Field{"key", "ignored/after/file"})
	f, err := ReadForm(bytes.NewReader(body), ct, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	// ${filename} is expanded in every field once the file part names it.
	fields[0].Value = "user/cat.png"
	if !reflect.DeepEqual(f.Fields(), fields) {
		t.Fatalf("fields %v", f.Fields())
	}
	for _, name := range []string{"policy", "POLICY", "Policy"} {
		if v, ok := f.Get(name); !ok || v != "cG9saWN5" {
			t.Fatalf("Get(%q) = %q %v", name, v, ok)
		}
	}
	if _, ok := f.Get("submit"); ok {
		t.Fatal("a field after the file was read")
	}
	if k, err := f.Key(); err != nil || k != "user/cat.png" {
		t.Fatalf("Key() = %q %v", k, err)
	}
	if f.FileName != "cat.png" || f.FileContentType != "image/png" {
		t.Fatalf("file part %q %q", f.FileName, f.FileContentType)
	}
	got, err := io.ReadAll(f.File)
	if err != nil || !bytes.Equal(got, file) {
		t.Fatalf("file: %d bytes, %v", len(got), err)
	}
}

// TestReadFormStreamsFile hands ReadForm a body whose file part has not
// been written yet: ReadForm must return (it cannot have buffered the
// file), and the file then streams through as the writer sends it.
func TestReadFormStreamsFile(t *testing.T) {
	head, ct := formBody(t, []Field{{"key", "big"}}, []byte{}, "big.bin")
	// Cut the body just after the file part's headers.
	i := bytes.Index(head, []byte("Content-Type: image/png\r\n\r\n"))
	head = head[:i+len("Content-Type: image/png\r\n\r\n")]
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(head)
		// Nothing more is written until ReadForm has returned.
	}()
	f, err := ReadForm(pr, ct, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	const chunk, chunks = 64 << 10, 64 // 4 MiB through a 4 KiB window
	done := make(chan error, 1)
	go func() {
		block := bytes.Repeat([]byte{'x'}, chunk)
		for range chunks {
			if _, err := pw.Write(block); err != nil {
				done <- err
				return
			}
		}
		_, err := pw.Write([]byte("\r\n--" + testBoundary + "--\r\n"))
		pw.Close()
		done <- err
	}()
	n, err := io.Copy(io.Discard, f.File)
	if err != nil || n != chunk*chunks {
		t.Fatalf("streamed %d bytes, %v", n, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestReadFormTruncatedFile(t *testing.T) {
	body, ct := formBody(t, []Field{{"key", "k"}}, bytes.Repeat([]byte("a"), 10000), "f")
	cut := body[:len(body)-len(testBoundary)-10] // inside the file, before its closing boundary
	f, err := ReadForm(bytes.NewReader(cut), ct, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(f.File); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated file read: %v, want io.ErrUnexpectedEOF", err)
	}
}

// errAfter yields data and then fails with err.
type errAfter struct {
	data []byte
	err  error
}

func (r *errAfter) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadFormErrors(t *testing.T) {
	ok, okCT := formBody(t, []Field{{"key", "k"}}, []byte("x"), "f")
	_ = ok
	many := make([]Field, DefaultLimits.MaxFields+1)
	for i := range many {
		many[i] = Field{"x-ignore-" + strings.Repeat("n", 3) + string(rune('a'+i%26)) + string(rune('a'+i/26)), "v"}
	}
	cases := []struct {
		name   string
		body   func() ([]byte, string)
		code   string
		status int
	}{
		{"urlencoded", func() ([]byte, string) { return []byte("key=a"), "application/x-www-form-urlencoded" }, "PreconditionFailed", 412},
		{"no content type", func() ([]byte, string) { return ok, "" }, "PreconditionFailed", 412},
		{"no boundary", func() ([]byte, string) { return ok, "multipart/form-data" }, "MalformedPOSTRequest", 400},
		{"long boundary", func() ([]byte, string) {
			return ok, "multipart/form-data; boundary=" + strings.Repeat("b", 71)
		}, "MalformedPOSTRequest", 400},
		{"wrong boundary", func() ([]byte, string) { return ok, "multipart/form-data; boundary=other" }, "MalformedPOSTRequest", 400},
		{"cut inside the fields", func() ([]byte, string) { return ok[:len(ok)/2], okCT }, "MalformedPOSTRequest", 400},
		{"garbage after boundary", func() ([]byte, string) {
			return []byte("--" + testBoundary + "\r\nno header line\r\n\r\nx"), okCT
		}, "MalformedPOSTRequest", 400},
		{"part without name", func() ([]byte, string) {
			return []byte("--" + testBoundary + "\r\nContent-Disposition: form-data\r\n\r\nv\r\n--" + testBoundary + "--\r\n"), okCT
		}, "MalformedPOSTRequest", 400},
		{"attachment part", func() ([]byte, string) {
			return []byte("--" + testBoundary + "\r\nContent-Disposition: attachment; name=\"key\"\r\n\r\nv\r\n--" + testBoundary + "--\r\n"), okCT
		}, "MalformedPOSTRequest", 400},
		{"no file", func() ([]byte, string) { return formBody(t, []Field{{"key", "k"}}, nil, "") }, "InvalidArgument", 400},
		{"file part not form-data", func() ([]byte, string) {
			return []byte("--" + testBoundary + "\r\nContent-Disposition: file; name=\"file\"\r\n\r\nv\r\n--" + testBoundary + "--\r\n"), okCT
		}, "MalformedPOSTRequest", 400},
		{"too many fields", func() ([]byte, string) { return formBody(t, many, []byte("x"), "f") }, "MaxPostPreDataLengthExceeded", 400},
		{"one field too large", func() ([]byte, string) {
			return formBody(t, []Field{{"policy", strings.Repeat("p", 20<<10)}}, []byte("x"), "f")
		}, "MaxPostPreDataLengthExceeded", 400},
		{"fields too large together", func() ([]byte, string) {
			return formBody(t, []Field{{"policy", strings.Repeat("p", 15<<10)}, {"x-amz-meta-a", strings.Repeat("m", 6<<10)}}, []byte("x"), "f")
		}, "MaxPostPreDataLengthExceeded", 400},
		{"huge part header", func() ([]byte, string) {
			return []byte("--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"key\"\r\nX-Pad: " + strings.Repeat("h", 1<<20) + "\r\n\r\nv\r\n"), okCT
		}, "MaxPostPreDataLengthExceeded", 400},
		{"endless preamble", func() ([]byte, string) {
			return bytes.Repeat([]byte("preamble line\r\n"), 1<<16), okCT
		}, "MaxPostPreDataLengthExceeded", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.body()
			_, err := ReadForm(bytes.NewReader(body), ct, DefaultLimits)
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Status != tc.status {
				t.Fatalf("err = %v, want %d %s", err, tc.status, tc.code)
			}
		})
	}
}

func TestReadFormLimitsExact(t *testing.T) {
	// S3 counts the form data and boundaries before the file: boundary
	// lines, part headers and values, and the file part's own headers.
	build := func(n int) ([]byte, string) {
		return formBody(t, []Field{{"key", "k"}, {"policy", strings.Repeat("p", n)}}, []byte("file bytes"), "f")
	}
	body, _ := build(0)
	overhead := bytes.Index(body, []byte("file bytes")) // everything before the file with an empty policy
	body, ct := build(20480 - overhead)
	if _, err := ReadForm(bytes.NewReader(body), ct, DefaultLimits); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	body, ct = build(20480 - overhead + 1)
	_, err := ReadForm(bytes.NewReader(body), ct, DefaultLimits)
	e := wantError(t, err, "MaxPostPreDataLengthExceeded", 400, "Your POST request fields preceeding the upload file was too large.")
	if fieldValue0(e, "MaxPostPreDataLengthBytes") != "20480" {
		t.Fatalf("fields %v", e.Fields)
	}
}

func TestReadFormMaxFieldsExact(t *testing.T) {
	lim := Limits{MaxPreData: 1 << 20, MaxFieldSize: 1 << 10, MaxFields: 5}
	fields := []Field{{"key", "k"}, {"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}
	body, ct := formBody(t, fields, []byte("x"), "f")
	if f, err := ReadForm(bytes.NewReader(body), ct, lim); err != nil || len(f.Fields()) != 5 {
		t.Fatalf("exactly MaxFields fields and the file: %v", err)
	}
	body, ct = formBody(t, append(fields, Field{"e", "5"}), []byte("x"), "f")
	_, err := ReadForm(bytes.NewReader(body), ct, lim)
	_ = wantError(t, err, "MaxPostPreDataLengthExceeded", 400, "Your POST request fields preceeding the upload file was too large.")
}

func TestReadFormRepeatedField(t *testing.T) {
	f := mustForm(t, []Field{{"key", "k"}, {"x-amz-meta-tag", "Ninja"}, {"X-Amz-Meta-Tag", "Stallman"}}, []byte("x"))
	if v, _ := f.Get("x-amz-meta-tag"); v != "Ninja,Stallman" || len(f.Fields()) != 2 {
		t.Fatalf("repeated field: %q, fields %v", v, f.Fields())
	}
}

func TestFilenameExpansion(t *testing.T) {
	cases := []struct {
		disposition, key, meta string
	}{
		{`form-data; name="file"; filename="cat.png"`, "u/cat.png", "from cat.png"},
		{`form-data; name="file"; filename="C:\\Users\\me\\cat.png"`, "u/cat.png", "from cat.png"},
		{`form-data; name="file"; filename="../../etc/cat.png"`, "u/cat.png", "from cat.png"},
		{`form-data; name="file"; filename=""`, "u/", "from "},
		// Without a filename parameter S3 keeps the variable literally.
		{`form-data; name="file"`, "u/${filename}", "from ${filename}"},
	}
	for _, tc := range cases {
		body := "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nu/${filename}\r\n" +
			"--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"x-amz-meta-src\"\r\n\r\nfrom ${filename}\r\n" +
			"--" + testBoundary + "\r\nContent-Disposition: " + tc.disposition + "\r\n\r\ndata\r\n--" + testBoundary + "--\r\n"
		f, err := ReadForm(strings.NewReader(body), "multipart/form-data; boundary="+testBoundary, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := f.Key()
		meta, _ := f.Get("x-amz-meta-src")
		if key != tc.key || meta != tc.meta {
			t.Errorf("%s: key %q meta %q, want %q %q", tc.disposition, key, meta, tc.key, tc.meta)
		}
	}
}

func TestReadFormBodyError(t *testing.T) {
	body, ct := formBody(t, []Field{{"key", "k"}}, []byte("x"), "f")
	boom := errors.New("read deadline")
	_, err := ReadForm(&errAfter{data: body[:20], err: boom}, ct, DefaultLimits)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the body's error", err)
	}
}

func TestKeyMissing(t *testing.T) {
	f := mustForm(t, []Field{{"acl", "private"}}, []byte("x"))
	_, err := f.Key()
	e := wantError(t, err, "InvalidArgument", http.StatusBadRequest,
		"Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	if fieldValue0(e, "ArgumentName") != "key" {
		t.Fatal(e.Fields)
	}
}
