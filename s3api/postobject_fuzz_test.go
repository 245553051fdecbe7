package s3api

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/pkg/postpolicy"
)

// FuzzPostObjectFields drives the POST route's own handling of a form
// (postpolicy's fuzz targets cover ReadForm and the policy): fields become
// PUT's headers, then metadata, checksum and tagging parsing. Signature
// fields never become headers, and nothing panics.
func FuzzPostObjectFields(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--B\r\nContent-Disposition: form-data; name=\"x-amz-meta-a\"\r\n\r\n=?UTF-8?B?w6k=?=\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nx\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"tagging\"\r\n\r\n<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>\r\n--B\r\nContent-Disposition: form-data; name=\"X-Amz-Signature\"\r\n\r\nabc\r\n--B\r\nContent-Disposition: form-data; name=\"x-amz-checksum-crc32\"\r\n\r\nAAAAAA==\r\n--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"Content-Type\"\r\n\r\ntext/${filename}\r\n--B\r\nContent-Disposition: form-data; name=\"x-amz-object-lock-mode\"\r\n\r\nGOVERNANCE\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a/b.txt\"\r\n\r\n--B--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := postpolicy.ReadForm(bytes.NewReader(body), "multipart/form-data; boundary=B", postpolicy.DefaultLimits)
		if err != nil {
			return
		}
		h := formHeader(form)
		for name := range h {
			switch strings.ToLower(name) {
			case "x-amz-signature", "x-amz-credential", "x-amz-date", "x-amz-algorithm", "x-amz-security-token":
				t.Fatalf("signature field %s became a header", name)
			}
			field := name
			if strings.EqualFold(name, "X-Amz-Acl") {
				field = "acl"
			}
			if _, ok := form.Get(field); !ok {
				t.Fatalf("header %s names no field", name)
			}
		}
		r, _ := http.NewRequest("POST", "/b", nil)
		r.Header = h
		rq := &request{size: -1}
		_, _ = bodyOptions(r, rq)
		_, _ = metaFromRequest(r)
		if v, ok := form.Get("tagging"); ok {
			_, _ = parseTagging([]byte(v))
		}
	})
}
