package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"time"
)

// s3NS is the namespace of every S3 response document.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// Caps on XML request bodies, which are read whole (they are small by design).
const (
	maxSmallXML    = 64 << 10 // CreateBucket, tagging
	maxDeleteXML   = 2 << 20  // DeleteObjects: 1000 keys of up to 1 KiB
	maxCompleteXML = 4 << 20  // CompleteMultipartUpload: 10000 parts with checksums
)

// xmlTime formats times as S3 XML does.
func xmlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// writeXML renders v as the 200 (or status) response body.
func writeXML(w http.ResponseWriter, status int, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body) // a failed write means the client left
	return nil
}

// readSmallBody reads a whole request body of at most limit bytes. Bodies
// over the cap fail with EntityTooLarge without being read further.
func readSmallBody(body io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errXMLTooLarge
	}
	return data, nil
}

// decodeXML parses an XML request body into v; anything that does not parse
// is MalformedXML.
func decodeXML(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errMalformedXML
	}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return errMalformedXML
	}
	return nil
}

// owner is the Owner/Initiator element: the tenant.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

// checksumFields are the Checksum* elements shared by several documents.
type checksumFields struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}
