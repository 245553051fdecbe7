package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/cofferstore/coffer/pkg/sse"
	"github.com/cofferstore/coffer/storage"
)

// Server-side encryption at the HTTP layer: which mode a write asks for
// in its headers (storage applies the bucket's default encryption and the
// operator's --sse-default to writes that ask for none), the SSE-C keys of
// reads and copy sources, and the response headers. Storage does the
// encryption (storage/sse.go).

// Response headers of encrypted objects.
const (
	hdrSSE               = "X-Amz-Server-Side-Encryption"
	hdrSSECustomerAlg    = "X-Amz-Server-Side-Encryption-Customer-Algorithm"
	hdrSSECustomerKeyMD5 = "X-Amz-Server-Side-Encryption-Customer-Key-Md5"
)

// customerKey reads the SSE-C key of a request (copySource: the
// x-amz-copy-source-* triple), nil when none was sent. A key sent over
// plain HTTP is refused unless the operator allowed it.
func (s *server) customerKey(r *http.Request, copySource bool) (*sse.CustomerKey, error) {
	ck, err := sse.ParseCustomerKey(r.Header, copySource)
	if err != nil {
		return nil, err
	}
	if ck != nil && r.TLS == nil && !s.sseCAllowHTTP {
		return nil, sse.ErrCustomerKeyInsecure
	}
	return ck, nil
}

// writeEncryption is the encryption a new object or upload asks for in
// its headers; without any, storage applies the bucket's default
// encryption or the operator's --sse-default.
func (s *server) writeEncryption(r *http.Request) (storage.Encryption, error) {
	m, ck, err := sse.ParseMethod(r.Header)
	if err != nil {
		return storage.Encryption{}, err
	}
	switch m {
	case sse.MethodS3:
		return storage.Encryption{Mode: storage.SSES3}, nil
	case sse.MethodCustomer:
		if r.TLS == nil && !s.sseCAllowHTTP {
			return storage.Encryption{}, sse.ErrCustomerKeyInsecure
		}
		return storage.Encryption{Mode: storage.SSEC, CustomerKey: ck}, nil
	}
	return storage.Encryption{}, nil
}

// unlockObject hands a GET's (or copy source's) SSE-C key to the object:
// an SSE-C object without its key, a wrong key, or a key for an object
// that is not SSE-C fail as S3 answers them.
func unlockObject(obj storage.ObjectReader, ck *sse.CustomerKey) error {
	if ck == nil && obj.Info().Encryption != storage.SSEC {
		return nil
	}
	return obj.UseCustomerKey(ck)
}

// setSSEHeaders adds the encryption response headers of an object: the
// SSE-S3 algorithm, or the SSE-C algorithm and the key's MD5 as the
// request sent it (never the key).
func setSSEHeaders(h http.Header, mode storage.SSEMode, ck *sse.CustomerKey) {
	switch mode {
	case storage.SSES3:
		h.Set(hdrSSE, "AES256")
	case storage.SSEC:
		h.Set(hdrSSECustomerAlg, "AES256")
		if ck != nil {
			h.Set(hdrSSECustomerKeyMD5, ck.KeyMD5())
		}
	}
}

// Bucket default encryption: Put/Get/DeleteBucketEncryption, kept as the
// bucket's ConfigEncryption document (the XML as this layer renders it).

type sseConfiguration struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	NS      string    `xml:"xmlns,attr,omitempty"`
	Rules   []sseRule `xml:"Rule"`
}

type sseRule struct {
	Default *struct {
		Algorithm string `xml:"SSEAlgorithm"`
		KMSKeyID  string `xml:"KMSMasterKeyID,omitempty"`
	} `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled *bool `xml:"BucketKeyEnabled"`
}

const maxEncryptionBody = 16 << 10

var errKMSNotImplemented = errorf("NotImplemented", http.StatusNotImplemented,
	"Server-side encryption with AWS KMS keys (SSE-KMS, DSSE-KMS) is not implemented; use AES256 (SSE-S3).")

// parseBucketEncryption checks a PutBucketEncryption body: one rule whose
// default algorithm is AES256.
func parseBucketEncryption(data []byte) error {
	var in sseConfiguration
	if err := decodeXML(data, &in); err != nil {
		return err
	}
	if len(in.Rules) != 1 || in.Rules[0].Default == nil {
		return errMalformedXML
	}
	d := in.Rules[0].Default
	switch d.Algorithm {
	case "AES256":
		if d.KMSKeyID != "" {
			return errorf("InvalidArgument", http.StatusBadRequest,
				"a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
		}
		return nil
	case "aws:kms", "aws:kms:dsse":
		return errKMSNotImplemented
	}
	return errMalformedXML
}

// bucketEncryptionDoc is the one document stored for an AES256 default.
func bucketEncryptionDoc() ([]byte, error) {
	type def struct {
		Algorithm string `xml:"SSEAlgorithm"`
	}
	type rule struct {
		Default          def  `xml:"ApplyServerSideEncryptionByDefault"`
		BucketKeyEnabled bool `xml:"BucketKeyEnabled"`
	}
	return xml.Marshal(struct {
		XMLName xml.Name `xml:"ServerSideEncryptionConfiguration"`
		NS      string   `xml:"xmlns,attr"`
		Rule    rule     `xml:"Rule"`
	}{NS: s3NS, Rule: rule{Default: def{Algorithm: "AES256"}}})
}

// putBucketEncryption handles PUT /bucket?encryption.
func (s *server) putBucketEncryption(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readDigestedBody(r, rq, maxEncryptionBody)
	if err != nil {
		return err
	}
	if err := parseBucketEncryption(data); err != nil {
		return err
	}
	doc, err := bucketEncryptionDoc()
	if err != nil {
		return err
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigEncryption, doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketEncryption handles GET /bucket?encryption:
// ServerSideEncryptionConfigurationNotFoundError without one.
func (s *server) getBucketEncryption(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, err := s.store.GetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigEncryption)
	if err != nil {
		return withBucketName(err, rq.bucket)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), doc...))
	return nil
}

// deleteBucketEncryption handles DELETE /bucket?encryption.
func (s *server) deleteBucketEncryption(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigEncryption, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
