package reliability

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/testutil"
)

// vEntry is one version or delete marker of a key as the client knows it.
type vEntry struct {
	id     string
	marker bool
	body   *version // nil for a delete marker
	// The Object Lock state acknowledged for it (lock bucket only).
	mode  types.ObjectLockMode
	until time.Time
	hold  bool
	null  bool // a ghost (see vKey.ghosts) of a write of the null version
}

func (e *vEntry) String() string {
	if e.marker {
		return "marker " + e.id
	}
	return fmt.Sprintf("version %s (%v)", e.id, e.body)
}

// vOpKind is the kind of an operation on a versioned key.
type vOpKind int

const (
	opPut        vOpKind = iota // a new version (PUT or multipart complete)
	opMarker                    // DELETE without a version id
	opDelVersion                // DELETE ?versionId=
	opHoldOff                   // PutObjectLegalHold OFF
)

// vOp is an operation sent but not acknowledged when the server died: a
// crash may or may not have applied it, but never half.
type vOp struct {
	kind  vOpKind
	entry *vEntry // opPut: the body and lock headers sent; otherwise the entry addressed
	null  bool    // opPut/opMarker while versioning was suspended: it replaces the null version
}

// vKey is what the client knows of one key of a versioned bucket. Each key
// has one writer, so the order of acknowledgement is the order of its
// versions and at most one operation is unacknowledged.
type vKey struct {
	bucket, key string
	lock        bool              // the bucket has Object Lock
	suspended   bool              // versioning is Suspended: writes replace the null version
	live        []*vEntry         // acknowledged and not deleted, oldest first
	gone        []string          // version ids acknowledged as permanently deleted
	goneHow     map[string]string // how each was deleted, for failure messages
	goneRead    int               // of gone, those already read back as NoSuchVersion
	pending     *vOp
	nullWrites  int // acknowledged writes of the null version (figures)
	// ghosts are unacknowledged writes (versions, markers) that a restart
	// showed as not applied. Their metadata may still be on the drives, so
	// a rebuild of the index from the drives may bring them back; nothing
	// else may.
	ghosts []*vEntry
	// undead are versions whose unacknowledged delete a restart showed as
	// applied: their files may still be on the drives (removed after the
	// commit), so a rebuild of the index may bring them back too.
	undead map[string]*vEntry
	// nullGone counts null versions and markers replaced or deleted for
	// good (acknowledged), for failure messages.
	nullGone int
}

// vLedger holds the keys of the versioned crash test and its figures.
type vLedger struct {
	keys    []*vKey
	rebuilt bool // the index was just rebuilt from the drives: ghosts may appear

	ghostsAdopted atomic.Int64

	versionsChecked, markersChecked, bytesVerified, goneChecked atomic.Int64
}

// known reports whether a version id was ever acknowledged for the key.
func (k *vKey) known(id string) bool {
	return slices.ContainsFunc(k.live, func(e *vEntry) bool { return e.id == id }) || slices.Contains(k.gone, id)
}

// put sends a new version; in a lock bucket it carries GOVERNANCE
// retention and sometimes a legal hold.
func (k *vKey) put(c *s3.Client, r *rand.Rand, size int) error {
	body, v := makeBody(r, size)
	e := &vEntry{body: v}
	in := &s3.PutObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key),
		Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmSha256}
	if k.lock {
		e.mode, e.until = types.ObjectLockModeGovernance, time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		in.ObjectLockMode, in.ObjectLockRetainUntilDate = e.mode, aws.Time(e.until)
		if r.IntN(3) == 0 {
			e.hold = true
			in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn
		}
	}
	k.pending = &vOp{kind: opPut, entry: e, null: k.suspended}
	out, err := c.PutObject(bg, in)
	if err != nil {
		return err
	}
	e.id = aws.ToString(out.VersionId)
	v.etag, v.checksum = aws.ToString(out.ETag), aws.ToString(out.ChecksumSHA256)
	if want := base64.StdEncoding.EncodeToString(v.sum[:]); v.etag != v.md5etag || v.checksum != want {
		return fmt.Errorf("PUT %s/%s answered ETag %s checksum %s, want %s %s", k.bucket, k.key, v.etag, v.checksum, v.md5etag, want)
	}
	return k.acked(e)
}

// multipart completes a two-part upload as a new version; only the
// complete is pending (before it no version can exist).
func (k *vKey) multipart(c *s3.Client, r *rand.Rand) error {
	body, v := makeBody(r, 5<<20+r.IntN(64<<10))
	cr, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key)})
	if err != nil {
		return err
	}
	var parts []types.CompletedPart
	for n, off := int32(1), 0; off < len(body); n, off = n+1, off+5<<20 {
		up, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key),
			UploadId: cr.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body[off:min(off+5<<20, len(body))])})
		if err != nil {
			return err
		}
		parts = append(parts, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(n)})
	}
	v.md5etag = "" // a multipart ETag is not the body's MD5
	e := &vEntry{body: v}
	k.pending = &vOp{kind: opPut, entry: e, null: k.suspended}
	out, err := c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return err
	}
	e.id, v.etag = aws.ToString(out.VersionId), aws.ToString(out.ETag)
	return k.acked(e)
}

// acked records an acknowledged new version or marker after checking its
// id: while versioning is suspended it is the null version, which replaces
// the one before (AWS), else a fresh id.
func (k *vKey) acked(e *vEntry) error {
	if k.suspended {
		if e.id != "null" && e.id != "" {
			return fmt.Errorf("%s/%s: a write while versioning is suspended answered version id %q, want null", k.bucket, k.key, e.id)
		}
		e.id = "null"
		k.removeNull()
		k.live, k.pending = append(k.live, e), nil
		k.nullWrites++
		return nil
	}
	if e.id == "" || e.id == "null" || k.known(e.id) {
		return fmt.Errorf("%s/%s: new %v has an id that is empty, null or reused", k.bucket, k.key, e)
	}
	k.live, k.pending = append(k.live, e), nil
	return nil
}

// mark deletes the key without a version id: a new delete marker.
func (k *vKey) mark(c *s3.Client) error {
	k.pending = &vOp{kind: opMarker, entry: &vEntry{marker: true}, null: k.suspended}
	out, err := c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key)})
	if err != nil {
		return err
	}
	if !aws.ToBool(out.DeleteMarker) {
		return fmt.Errorf("DELETE %s/%s in a versioned bucket answered no delete marker", k.bucket, k.key)
	}
	return k.acked(&vEntry{marker: true, id: aws.ToString(out.VersionId)})
}

// deleteVersion removes one acknowledged version or marker for good; a
// legal hold is lifted first, GOVERNANCE retention bypassed.
func (k *vKey) deleteVersion(c *s3.Client, r *rand.Rand) error {
	e := k.live[r.IntN(len(k.live))]
	if e.hold {
		k.pending = &vOp{kind: opHoldOff, entry: e}
		if _, err := c.PutObjectLegalHold(bg, &s3.PutObjectLegalHoldInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key),
			VersionId: aws.String(e.id), LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
			return err
		}
		e.hold, k.pending = false, nil
	}
	k.pending = &vOp{kind: opDelVersion, entry: e}
	in := &s3.DeleteObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key), VersionId: aws.String(e.id)}
	if k.lock {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	out, err := c.DeleteObject(bg, in)
	if err != nil {
		return err
	}
	if aws.ToString(out.VersionId) != e.id || aws.ToBool(out.DeleteMarker) != e.marker {
		return fmt.Errorf("DELETE %s/%s?versionId=%s answered version %q delete marker %v", k.bucket, k.key, e.id,
			aws.ToString(out.VersionId), aws.ToBool(out.DeleteMarker))
	}
	k.forget(e, "acknowledged DELETE ?versionId=")
	k.pending = nil
	return nil
}

// probeLocked tries to delete a retained version without the bypass: it
// must be refused (AccessDenied) and change nothing.
func (k *vKey) probeLocked(c *s3.Client, r *rand.Rand) error {
	var locked []*vEntry
	for _, e := range k.live {
		if !e.marker && e.mode != "" {
			locked = append(locked, e)
		}
	}
	if len(locked) == 0 {
		return nil
	}
	e := locked[r.IntN(len(locked))]
	_, err := c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key), VersionId: aws.String(e.id)})
	if err == nil {
		return fmt.Errorf("DELETE %s/%s?versionId=%s of a GOVERNANCE version without bypass succeeded", k.bucket, k.key, e.id)
	}
	if code := testutil.S3ErrorCode(err); code != "AccessDenied" && code != "" {
		return fmt.Errorf("DELETE of a locked version: %w, want AccessDenied", err)
	} else if code == "" {
		return err // a transport error (the kill)
	}
	return nil
}

func (k *vKey) removeLive(e *vEntry) {
	k.live = slices.DeleteFunc(k.live, func(x *vEntry) bool { return x == e })
}

// forget records a permanent delete of e (how, for failure messages).
func (k *vKey) forget(e *vEntry, how string) {
	newest := len(k.live) > 0 && k.live[len(k.live)-1] == e
	k.removeLive(e)
	if e.id == "null" { // a later suspended write makes a new null version
		k.nullGone++
		return
	}
	k.gone = append(k.gone, e.id)
	if k.goneHow == nil {
		k.goneHow = map[string]string{}
	}
	k.goneHow[e.id] = fmt.Sprintf("%s of %v (newest: %v, %d entries left)", how, e, newest, len(k.live))
}

// removeNull drops the null version or marker, which a suspended write replaces.
func (k *vKey) removeNull() {
	n := len(k.live)
	k.live = slices.DeleteFunc(k.live, func(x *vEntry) bool { return x.id == "null" })
	k.nullGone += n - len(k.live)
}

// listedEntry is one row of ListObjectVersions.
type listedEntry struct {
	key, id        string
	marker, latest bool
	size           int64
	etag           string
}

// pageEntries are a page's versions and markers (their relative order is
// lost by the SDK, which is why listByOne exists).
func pageEntries(out *s3.ListObjectVersionsOutput) []listedEntry {
	var es []listedEntry
	for _, v := range out.Versions {
		es = append(es, listedEntry{key: aws.ToString(v.Key), id: aws.ToString(v.VersionId), latest: aws.ToBool(v.IsLatest),
			size: aws.ToInt64(v.Size), etag: aws.ToString(v.ETag)})
	}
	for _, d := range out.DeleteMarkers {
		es = append(es, listedEntry{key: aws.ToString(d.Key), id: aws.ToString(d.VersionId), marker: true, latest: aws.ToBool(d.IsLatest)})
	}
	return es
}

// listByOne lists a bucket's versions with MaxKeys 1, so the order of
// versions and markers is the server's, and checks each page's markers.
func listByOne(c *s3.Client, bucket string, limit int) ([]listedEntry, error) {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)}
	var all []listedEntry
	for {
		out, err := c.ListObjectVersions(bg, in)
		if err != nil {
			return nil, fmt.Errorf("ListObjectVersions %s after %d entries: %w", bucket, len(all), err)
		}
		es := pageEntries(out)
		if len(es) > 1 {
			return nil, fmt.Errorf("ListObjectVersions %s MaxKeys 1 answered %d entries", bucket, len(es))
		}
		all = append(all, es...)
		if !aws.ToBool(out.IsTruncated) {
			return all, nil
		}
		if len(es) == 0 || len(all) > limit {
			return nil, fmt.Errorf("ListObjectVersions %s: truncated page of %d entries after %d (limit %d)", bucket, len(es), len(all), limit)
		}
		if nk, nv := aws.ToString(out.NextKeyMarker), aws.ToString(out.NextVersionIdMarker); nk != es[0].key || nv != es[0].id {
			return nil, fmt.Errorf("ListObjectVersions %s: next markers %q/%q, but the page ended with %q/%q", bucket, nk, nv, es[0].key, es[0].id)
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// listAllVersions lists a bucket's versions by pages of the default size.
func listAllVersions(c *s3.Client, bucket string) ([]listedEntry, error) {
	var all []listedEntry
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		out, err := p.NextPage(bg)
		if err != nil {
			return nil, err
		}
		all = append(all, pageEntries(out)...)
	}
	return all, nil
}

// readVersion GETs one version by id and returns what it read.
func readVersion(c *s3.Client, bucket, key, id string) (*version, *s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled}
	if id != "" {
		in.VersionId = aws.String(id)
	}
	out, err := c.GetObject(bg, in)
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s/%s?versionId=%s: %w", bucket, key, id, err)
	}
	v := &version{size: n, etag: aws.ToString(out.ETag), checksum: aws.ToString(out.ChecksumSHA256)}
	copy(v.sum[:], h.Sum(nil))
	return v, out, nil
}

// entryIDs prints entries' ids for failure messages.
func entryIDs[E any](es []E, id func(E) string) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = id(e)
	}
	return "[" + strings.Join(s, " ") + "]"
}
