package reliability

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/testutil"
)

// version is one body a key may hold.
type version struct {
	size     int64
	sum      [32]byte // sha256 of the body
	etag     string   // as acknowledged (quoted); "" when never acknowledged
	checksum string   // x-amz-checksum-sha256 as acknowledged; "" for multipart
	md5etag  string   // quoted hex MD5 a single PUT must answer
}

func (v *version) String() string {
	if v == nil {
		return "<absent>"
	}
	return fmt.Sprintf("%d bytes sha256 %x", v.size, v.sum[:6])
}

// keyState is what the client knows of one key: the last acknowledged
// state and the outcomes of operations sent but not acknowledged (a crash
// may or may not have applied them). nil means "absent".
type keyState struct {
	acked   *version
	pending []*version
	pendDel bool // a delete is among the pending outcomes
}

// ledger records every acknowledged write so a check can prove nothing
// acknowledged is lost and nothing unacknowledged is half-visible.
type ledger struct {
	mu   sync.Mutex
	keys map[string]*keyState // bucket + "/" + key

	objectsChecked atomic.Int64
	bytesVerified  atomic.Int64
}

func newLedger() *ledger { return &ledger{keys: map[string]*keyState{}} }

func (l *ledger) state(bucket, key string) *keyState {
	id := bucket + "/" + key
	ks := l.keys[id]
	if ks == nil {
		ks = &keyState{}
		l.keys[id] = ks
	}
	return ks
}

// begin records an operation about to be sent: v is the new body, nil a delete.
func (l *ledger) begin(bucket, key string, v *version) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ks := l.state(bucket, key)
	if v == nil {
		ks.pendDel = true
	} else {
		ks.pending = append(ks.pending, v)
	}
}

// ack records an acknowledged operation (v nil: delete).
func (l *ledger) ack(bucket, key string, v *version) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ks := l.state(bucket, key)
	ks.acked, ks.pending, ks.pendDel = v, nil, false
}

// acked returns the acknowledged present objects of a bucket.
func (l *ledger) ackedIn(bucket string) map[string]*version {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]*version{}
	for id, ks := range l.keys {
		if b, k, _ := strings.Cut(id, "/"); b == bucket && ks.acked != nil && ks.pending == nil && !ks.pendDel {
			out[k] = ks.acked
		}
	}
	return out
}

// dropBucket forgets a bucket's keys (after a force delete).
func (l *ledger) dropBucket(bucket string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.keys {
		if strings.HasPrefix(id, bucket+"/") {
			delete(l.keys, id)
		}
	}
}

// bucketKeys lists the ledger's keys of a bucket.
func (l *ledger) bucketKeys(bucket string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for id := range l.keys {
		if b, k, _ := strings.Cut(id, "/"); b == bucket {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// body makes a random body of n bytes and its version.
func makeBody(r *rand.Rand, n int) ([]byte, *version) {
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		x := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(x >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	m := md5.Sum(b)
	return b, &version{size: int64(n), sum: sha256.Sum256(b), md5etag: `"` + hex.EncodeToString(m[:]) + `"`}
}

// putObject PUTs a body with a SHA-256 checksum and records it.
func (l *ledger) putObject(c *s3.Client, bucket, key string, body []byte, v *version) error {
	l.begin(bucket, key, v)
	out, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		return err
	}
	acked := *v
	acked.etag = aws.ToString(out.ETag)
	acked.checksum = aws.ToString(out.ChecksumSHA256)
	want := base64.StdEncoding.EncodeToString(v.sum[:])
	if acked.etag != v.md5etag || acked.checksum != want {
		return fmt.Errorf("PUT %s/%s answered ETag %s checksum %s, want %s %s", bucket, key, acked.etag, acked.checksum, v.md5etag, want)
	}
	l.ack(bucket, key, &acked)
	return nil
}

// deleteObject deletes a key and records it.
func (l *ledger) deleteObject(c *s3.Client, bucket, key string) error {
	l.begin(bucket, key, nil)
	if _, err := c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		return err
	}
	l.ack(bucket, key, nil)
	return nil
}

// multipartPut uploads body in parts of partSize and completes; only the
// complete is recorded as pending (before it the object cannot exist).
func (l *ledger) multipartPut(c *s3.Client, bucket, key string, body []byte, v *version, partSize int) error {
	cr, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	var parts []types.CompletedPart
	for n, off := int32(1), 0; off < len(body); n, off = n+1, off+partSize {
		end := min(off+partSize, len(body))
		up, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
			UploadId: cr.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body[off:end])})
		if err != nil {
			return err
		}
		parts = append(parts, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(n)})
	}
	mv := *v
	mv.md5etag = "" // a multipart ETag is not the body's MD5
	v = &mv
	l.begin(bucket, key, v)
	out, err := c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return err
	}
	acked := *v
	acked.etag = aws.ToString(out.ETag)
	acked.md5etag = ""
	if !strings.HasSuffix(strings.Trim(acked.etag, `"`), fmt.Sprintf("-%d", len(parts))) {
		return fmt.Errorf("complete %s/%s: ETag %s is not a %d-part ETag", bucket, key, acked.etag, len(parts))
	}
	l.ack(bucket, key, &acked)
	return nil
}

// readObject GETs a key: nil when absent (NoSuchKey), else its version as
// read (sum of the bytes, ETag and checksum headers).
func readObject(c *s3.Client, bucket, key string) (*version, error) {
	out, err := c.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		if testutil.S3ErrorCode(err) == "NoSuchKey" {
			return nil, nil
		}
		return nil, err
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		return nil, fmt.Errorf("read body of %s/%s: %w", bucket, key, err)
	}
	v := &version{size: n, etag: aws.ToString(out.ETag), checksum: aws.ToString(out.ChecksumSHA256)}
	copy(v.sum[:], h.Sum(nil))
	if out.ContentLength != nil && *out.ContentLength != n {
		return nil, fmt.Errorf("%s/%s: Content-Length %d but %d bytes", bucket, key, *out.ContentLength, n)
	}
	return v, nil
}

// matches reports whether what was read is the version v (nil: absent).
func matches(got, v *version) bool {
	if got == nil || v == nil {
		return got == nil && v == nil
	}
	if got.size != v.size || got.sum != v.sum {
		return false
	}
	if v.etag != "" && got.etag != v.etag {
		return false
	}
	if v.md5etag != "" && got.etag != v.md5etag {
		return false
	}
	if v.checksum != "" && got.checksum != v.checksum {
		return false
	}
	return true
}

// verifyKey reads a key and checks it is its acknowledged state or one of
// the pending outcomes; the ledger then takes what was found as acknowledged.
func (l *ledger) verifyKey(c *s3.Client, bucket, key string) (*version, error) {
	got, err := readObject(c, bucket, key)
	if err != nil {
		return nil, fmt.Errorf("GET %s/%s: %w", bucket, key, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ks := l.state(bucket, key)
	ok := matches(got, ks.acked) || (ks.pendDel && got == nil)
	found := ks.acked
	for _, p := range ks.pending {
		if matches(got, p) {
			ok, found = true, p
		}
	}
	if !ok {
		return nil, fmt.Errorf("%s/%s holds %v (ETag %s); acknowledged %v, pending %v delete=%v",
			bucket, key, got, etagOf(got), ks.acked, ks.pending, ks.pendDel)
	}
	if got != nil {
		l.objectsChecked.Add(1)
		l.bytesVerified.Add(got.size)
		resolved := *found
		resolved.etag, resolved.checksum = got.etag, got.checksum
		if found.checksum != "" {
			resolved.checksum = found.checksum
		}
		found = &resolved
	} else {
		found = nil
	}
	ks.acked, ks.pending, ks.pendDel = found, nil, false
	return got, nil
}

func etagOf(v *version) string {
	if v == nil {
		return ""
	}
	return v.etag
}

// listAll lists every key of a bucket with its size.
func listAll(c *s3.Client, bucket string) (map[string]int64, error) {
	out := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(250)})
	for p.HasMorePages() {
		page, err := p.NextPage(bg)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	return out, nil
}

// verifyBucket checks every ledger key of the bucket and that the listing
// equals the set of readable keys with their sizes.
func (l *ledger) verifyBucket(c *s3.Client, bucket string) (objects int, bytes int64, err error) {
	readable := map[string]int64{}
	for _, k := range l.bucketKeys(bucket) {
		got, err := l.verifyKey(c, bucket, k)
		if err != nil {
			return 0, 0, err
		}
		if got != nil {
			readable[k] = got.size
		}
	}
	listed, err := listAll(c, bucket)
	if err != nil {
		return 0, 0, fmt.Errorf("list %s: %w", bucket, err)
	}
	for k, n := range listed {
		if m, ok := readable[k]; !ok || m != n {
			return 0, 0, fmt.Errorf("list %s shows %q (%d bytes) but GET found %v/%d", bucket, k, n, ok, m)
		}
		bytes += n
	}
	for k := range readable {
		if _, ok := listed[k]; !ok {
			return 0, 0, fmt.Errorf("list %s misses readable key %q", bucket, k)
		}
	}
	return len(listed), bytes, nil
}

// partBytes sums the sizes of the parts of every unfinished upload of a bucket.
func partBytes(c *s3.Client, bucket string) (int64, error) {
	var total int64
	ups, err := c.ListMultipartUploads(bg, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		return 0, fmt.Errorf("list uploads of %s: %w", bucket, err)
	}
	if aws.ToBool(ups.IsTruncated) {
		return 0, fmt.Errorf("list uploads of %s: truncated", bucket)
	}
	for _, u := range ups.Uploads {
		p := s3.NewListPartsPaginator(c, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
		for p.HasMorePages() {
			page, err := p.NextPage(bg)
			if err != nil {
				return 0, fmt.Errorf("list parts of %s/%s: %w", bucket, aws.ToString(u.Key), err)
			}
			for _, part := range page.Parts {
				total += aws.ToInt64(part.Size)
			}
		}
	}
	return total, nil
}

// mapKeys lists a map's keys.
func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
