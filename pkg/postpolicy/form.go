package postpolicy

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// Limits bound what ReadForm reads and holds before the file part.
type Limits struct {
	// MaxPreData caps the summed size of the names and values of the fields
	// before the file (S3: 20 KB, MaxPostPreDataLengthExceeded past it).
	MaxPreData int64
	// MaxFieldSize caps one field's value.
	MaxFieldSize int64
	// MaxFields caps the number of fields before the file.
	MaxFields int
}

// DefaultLimits are S3's 20 KB of fields, any one of which may use it all
// (a policy document can be long), in at most 100 fields.
var DefaultLimits = Limits{MaxPreData: 20 << 10, MaxFieldSize: 20 << 10, MaxFields: 100}

// maxBoundary is RFC 2046's limit on a multipart boundary.
const maxBoundary = 70

// perPartOverhead is the raw-byte allowance of one part beyond its name and
// value (boundary line, Content-Disposition and Content-Type headers).
const perPartOverhead = 512

// Field is one form field (or one extra element of an error document).
type Field struct {
	Name, Value string
}

// Form is a POST upload body read up to the start of its file.
type Form struct {
	fields []Field
	index  map[string]int // lower-cased name -> position in fields
	// FileName is the filename parameter of the file part ("" if none).
	FileName string
	// FileContentType is the Content-Type header of the file part.
	FileContentType string
	// File yields the file's bytes straight from the request body: nothing
	// is buffered beyond the multipart reader's 4 KB window. It returns
	// io.ErrUnexpectedEOF if the body ends before the part's closing
	// boundary, so a caller that commits only at io.EOF never stores a
	// truncated upload.
	File io.Reader
}

// Get returns the value of the field named name, compared
// case-insensitively as S3 compares form field names.
func (f *Form) Get(name string) (string, bool) {
	i, ok := f.index[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	return f.fields[i].Value, true
}

// Fields returns the fields before the file, in order, with their names as
// the client sent them.
func (f *Form) Fields() []Field { return f.fields }

// Key returns the object key: the key field with every "${filename}"
// replaced by the file part's filename, as S3 does. It returns
// InvalidArgument when the form has no key field.
func (f *Form) Key() (string, error) {
	k, ok := f.Get("key")
	if !ok {
		return "", missingField("key")
	}
	return strings.ReplaceAll(k, "${filename}", f.FileName), nil
}

// ReadForm reads a POST upload body whose Content-Type header is
// contentType: the fields up to the part named "file" (case-insensitively),
// then hands out that part as Form.File without reading it. S3 requires the
// file to be the last field and ignores the fields after it; ReadForm never
// reads them. Errors are *Error (PreconditionFailed, MalformedPOSTRequest,
// MaxPostPreDataLengthExceeded, IncorrectNumberOfFilesInPostRequest,
// InvalidArgument for a repeated field) or the read error of body.
func ReadForm(body io.Reader, contentType string, lim Limits) (*Form, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, ErrNotMultipart
	}
	boundary := params["boundary"]
	if boundary == "" || len(boundary) > maxBoundary {
		return nil, ErrMalformedPOST
	}
	// The raw bytes read before the file are capped too, so that part
	// headers, preamble and boundaries cannot make the reader hold or skip
	// unbounded input. The window covers the multipart reader's read-ahead.
	raw := &budgetReader{r: body, left: lim.MaxPreData + int64(lim.MaxFields+1)*perPartOverhead + 2*4096}
	mr := multipart.NewReader(raw, boundary)
	f := &Form{index: map[string]int{}}
	var preData int64
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			return nil, formError(err, raw, lim)
		}
		name, filename, ok := disposition(p.Header.Get("Content-Disposition"))
		if !ok {
			return nil, ErrMalformedPOST
		}
		lower := strings.ToLower(name)
		if lower == "file" {
			raw.off = true
			f.FileName = filename
			f.FileContentType = p.Header.Get("Content-Type")
			f.File = p
			return f, nil
		}
		if len(f.fields) == lim.MaxFields {
			return nil, preDataTooLarge(lim.MaxPreData)
		}
		if _, dup := f.index[lower]; dup {
			return nil, invalidArgument(name, "", "Bucket POST contains the field '"+name+"' more than once.")
		}
		max := min(lim.MaxFieldSize, lim.MaxPreData-preData-int64(len(name)))
		if max < 0 {
			return nil, preDataTooLarge(lim.MaxPreData)
		}
		v, err := io.ReadAll(io.LimitReader(p, max+1))
		if err != nil {
			return nil, formError(err, raw, lim)
		}
		if int64(len(v)) > max {
			return nil, preDataTooLarge(lim.MaxPreData)
		}
		preData += int64(len(name) + len(v))
		f.index[lower] = len(f.fields)
		f.fields = append(f.fields, Field{Name: name, Value: string(v)})
	}
}

// disposition parses a part's Content-Disposition: it must be form-data
// with a non-empty name.
func disposition(v string) (name, filename string, ok bool) {
	d, params, err := mime.ParseMediaType(v)
	if err != nil || d != "form-data" || params["name"] == "" {
		return "", "", false
	}
	return params["name"], params["filename"], true
}

// formError translates a failure of the multipart reader before the file.
func formError(err error, raw *budgetReader, lim Limits) error {
	switch {
	case errors.Is(err, errBudget):
		return preDataTooLarge(lim.MaxPreData)
	case raw.err != nil:
		return raw.err // the body's own failure (deadline, client gone)
	case err == io.EOF: // the closing boundary, not a cut body
		return ErrNoFile
	default:
		return ErrMalformedPOST
	}
}

var errBudget = errors.New("postpolicy: form fields exceed the read budget")

// budgetReader fails with errBudget once left bytes have been read, until
// off is set; it records the underlying reader's own errors apart.
type budgetReader struct {
	r    io.Reader
	left int64
	off  bool
	err  error
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if !b.off {
		if b.left <= 0 {
			return 0, errBudget
		}
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}
