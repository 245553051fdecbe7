package postpolicy

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// Limits bound what ReadForm reads and holds before the file part.
type Limits struct {
	// MaxPreData caps the form data and boundaries before the file, counted
	// as S3 counts them: each part's boundary line, headers and value, and
	// the file part's boundary line and headers (S3: 20480 bytes,
	// MaxPostPreDataLengthExceeded past it).
	MaxPreData int64
	// MaxFieldSize caps one field's value.
	MaxFieldSize int64
	// MaxFields caps the number of fields before the file.
	MaxFields int
}

// DefaultLimits are S3's 20 KB before the file, any one field of which may
// use it all (a policy document can be long), in at most 100 fields.
var DefaultLimits = Limits{MaxPreData: 20 << 10, MaxFieldSize: 20 << 10, MaxFields: 100}

// maxBoundary is RFC 2046's limit on a multipart boundary.
const maxBoundary = 70

// rawSlack is the raw input ReadForm may read beyond MaxPreData before the
// file: a preamble, header folding, and the multipart reader's 4 KB
// read-ahead twice over.
const rawSlack = 16 << 10

// Field is one form field (or one extra element of an error document).
type Field struct {
	Name, Value string
}

// Form is a POST upload body read up to the start of its file.
type Form struct {
	fields []Field
	index  map[string]int // lower-cased name -> position in fields
	// FileName is the filename parameter of the file part, reduced to the
	// text after its last '/' or '\' as S3 does.
	FileName string
	// HasFileName reports whether the file part had a filename parameter.
	HasFileName bool
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

// Fields returns the fields before the file, in order of first
// appearance, with their names as the client first sent them.
func (f *Form) Fields() []Field { return f.fields }

// Key returns the object key, the key field (with ${filename} expanded by
// ReadForm). It returns S3's InvalidArgument when the form has no key field.
func (f *Form) Key() (string, error) {
	k, ok := f.Get("key")
	if !ok {
		return "", missingField("key")
	}
	return k, nil
}

// add records a field; a repeated name (case-insensitively) joins its
// values with commas, as S3 documents for policy matching.
func (f *Form) add(name, value string) {
	lower := strings.ToLower(name)
	if i, ok := f.index[lower]; ok {
		f.fields[i].Value += "," + value
		return
	}
	f.index[lower] = len(f.fields)
	f.fields = append(f.fields, Field{Name: name, Value: value})
}

// ReadForm reads a POST upload body whose Content-Type header is
// contentType: the fields up to the form-data part named "file"
// (case-insensitively), then hands out that part as Form.File without
// reading it. S3 requires the file to be the last field and ignores the
// fields after it; ReadForm never reads them. When the file part has a
// filename parameter, "${filename}" in every field is replaced by it, as
// S3 expands variables before it checks the policy. Errors are *Error
// (PreconditionFailed, MalformedPOSTRequest, MaxPostPreDataLengthExceeded,
// InvalidArgument for a body without a file) or the read error of body.
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
	// headers, a preamble or malformed lines cannot make the reader hold or
	// skip unbounded input.
	raw := &budgetReader{r: body, left: lim.MaxPreData + rawSlack}
	mr := multipart.NewReader(raw, boundary)
	f := &Form{index: map[string]int{}}
	preData := int64(0)
	for parts := 0; ; parts++ {
		p, err := mr.NextRawPart()
		if err != nil {
			return nil, formError(err, raw, lim)
		}
		preData += int64(len(boundary)+4) + headerSize(p.Header)
		if preData > lim.MaxPreData {
			return nil, preDataTooLarge(lim.MaxPreData)
		}
		name, filename, hasFilename, ok := disposition(p.Header.Get("Content-Disposition"))
		if !ok {
			return nil, ErrMalformedPOST
		}
		isFile := strings.EqualFold(name, "file")
		if !isFile && parts == lim.MaxFields {
			return nil, preDataTooLarge(lim.MaxPreData)
		}
		if isFile {
			raw.off = true
			f.File = p
			f.FileContentType = p.Header.Get("Content-Type")
			if hasFilename {
				f.HasFileName = true
				f.FileName = filename[strings.LastIndexAny(filename, `/\`)+1:]
				for i := range f.fields {
					f.fields[i].Value = strings.ReplaceAll(f.fields[i].Value, "${filename}", f.FileName)
				}
			}
			return f, nil
		}
		max := min(lim.MaxFieldSize, lim.MaxPreData-preData)
		v, err := io.ReadAll(io.LimitReader(p, max+1))
		if err != nil {
			return nil, formError(err, raw, lim)
		}
		if int64(len(v)) > max {
			return nil, preDataTooLarge(lim.MaxPreData)
		}
		preData += int64(len(v)) + 2 // the value and the CRLF before the next boundary
		f.add(name, string(v))
	}
}

// headerSize is the size of a part's header block on the wire.
func headerSize(h textproto.MIMEHeader) int64 {
	n := int64(2) // the blank line
	for k, vs := range h {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	return n
}

// disposition parses a part's Content-Disposition: it must be form-data
// with a non-empty name.
func disposition(v string) (name, filename string, hasFilename, ok bool) {
	d, params, err := mime.ParseMediaType(v)
	if err != nil || d != "form-data" || params["name"] == "" {
		return "", "", false, false
	}
	filename, hasFilename = params["filename"]
	return params["name"], filename, hasFilename, true
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
