package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/testutil"
)

// TestS3ClientUploads drives the real aws-sdk-go-v2 S3 client at a verify
// server over plain HTTP and over TLS, with the SDK's default checksum
// behaviour (CRC32 trailers where it can) and with checksums only when
// required, and checks that every body arrives intact and attributed.
func TestS3ClientUploads(t *testing.T) {
	data := make([]byte, 300<<10)
	rand.Read(data)
	for _, tls := range []bool{false, true} {
		for _, calc := range []aws.RequestChecksumCalculation{aws.RequestChecksumCalculationWhenSupported, aws.RequestChecksumCalculationWhenRequired} {
			name := map[bool]string{false: "http", true: "https"}[tls] + map[aws.RequestChecksumCalculation]string{
				aws.RequestChecksumCalculationWhenSupported: "/default", aws.RequestChecksumCalculationWhenRequired: "/when-required"}[calc]
			t.Run(name, func(t *testing.T) {
				var last lastOutcome
				h := verifyHandler(NewVerifier(testKeys, VerifierOptions{}), &last)
				var srv *httptest.Server
				if tls {
					srv = httptest.NewTLSServer(h)
				} else {
					srv = httptest.NewServer(h)
				}
				defer srv.Close()
				client := testutil.S3Client(srv.URL, testAccessKey, testSecret, func(o *s3.Options) {
					o.HTTPClient = srv.Client()
					o.RequestChecksumCalculation = calc
					o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
					o.RetryMaxAttempts = 1
				})
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_, err := client.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String("bucket"), Key: aws.String("dir/a b+c.bin"), Body: bytes.NewReader(data),
				})
				got := last.get()
				if err != nil {
					t.Fatalf("PutObject: %v (server saw %+v)", err, got)
				}
				if got.Stage != "ok" || got.Tenant != testTenant || got.BodySHA != sha256HexBytes(data) {
					t.Fatalf("server saw %+v", got)
				}
				t.Logf("payload mode %s, trailers %v", got.Mode, got.Trailers)
				if want := crc32Base64(data); got.Trailers["x-amz-checksum-crc32"] != "" && got.Trailers["x-amz-checksum-crc32"] != want {
					t.Fatalf("crc32 trailer %q, want %q", got.Trailers["x-amz-checksum-crc32"], want)
				}
				// Presigned GET from the SDK's presign client.
				ps, err := s3.NewPresignClient(client).PresignGetObject(ctx, &s3.GetObjectInput{
					Bucket: aws.String("bucket"), Key: aws.String("dir/a b+c.bin")}, s3.WithPresignExpires(5*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest("GET", ps.URL, nil)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := last.get(); got.Stage != "ok" || got.Tenant != testTenant {
					t.Fatalf("presigned GET: server saw %+v", got)
				}
			})
		}
	}
}
