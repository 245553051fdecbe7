package s3api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/storage"
)

// putObject handles PUT /bucket/key.
func (s *server) putObject(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.size < 0 || noLength(r) {
		return errMissingContentLength
	}
	if rq.size > storage.MaxPartSize {
		return errObjectTooLarge
	}
	opts, err := bodyOptions(r, rq)
	if err != nil {
		return err
	}
	if opts.Meta, err = metaFromRequest(r); err != nil {
		return err
	}
	if opts.ACL, err = s.objectWriteACL(r, rq); err != nil {
		return err
	}
	if err := s.putLockOptions(r, rq, &opts); err != nil {
		return err
	}
	if opts.Encryption, err = s.writeEncryption(r); err != nil {
		return err
	}
	if opts.Precondition, err = s.checkWriteConditions(r, rq); err != nil {
		return err
	}
	info, err := s.store.PutObject(rq.ctx, rq.tenant, rq.bucket, rq.key, rq.body, opts)
	if err != nil {
		return err
	}
	h := w.Header()
	setSSEHeaders(h, info.Encryption, opts.Encryption.CustomerKey)
	if err := s.setVersionHeader(h, rq, rq.bucket, info.VersionID, hdrVersionID); err != nil {
		return err
	}
	h.Set("ETag", quoteETag(info.ETag))
	setChecksumHeaders(h, info.Checksums, orDefault(info.ChecksumType, checksum.FullObject))
	s.setExpirationHeader(h, rq, info)
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkWriteConditions honours If-None-Match and If-Match on writes. It
// checks once before the body is read (a doomed upload fails at once) and
// returns the same test as a storage precondition, which binds: storage
// evaluates it again inside the commit transaction, so of two racing
// writers with If-None-Match: * only one can create the key.
func (s *server) checkWriteConditions(r *http.Request, rq *request) (func(*storage.ObjectInfo) error, error) {
	inm, im := r.Header.Get("If-None-Match"), r.Header.Get("If-Match")
	if inm == "" && im == "" {
		return nil, nil
	}
	pre := func(cur *storage.ObjectInfo) error {
		if cur != nil && cur.DeleteMarker {
			cur = nil // a deleted key (its current version a delete marker) has no object
		}
		if inm != "" && cur != nil && etagMatches(inm, cur.ETag) {
			return errPreconditionFailed
		}
		if im != "" {
			if cur == nil {
				return storage.ErrObjectNotFound
			}
			if !etagMatches(im, cur.ETag) {
				return errPreconditionFailed
			}
		}
		return nil
	}
	info, err := s.store.GetObjectInfo(rq.ctx, rq.tenant, rq.bucket, rq.key)
	switch {
	case errors.Is(err, storage.ErrObjectNotFound):
		return pre, pre(nil)
	case err != nil:
		return nil, err
	}
	return pre, pre(&info)
}

// getObject handles GET /bucket/key[?versionId=].
func (s *server) getObject(w http.ResponseWriter, r *http.Request, rq *request) error {
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	ck, err := s.customerKey(r, false)
	if err != nil {
		return err
	}
	obj, err := s.store.OpenObjectVersion(rq.ctx, rq.tenant, rq.bucket, rq.key, vid)
	if err != nil {
		return err
	}
	defer obj.Close()
	if err := unlockObject(obj, ck); err != nil {
		return err
	}
	start, length, status, err := s.prepareObjectResponse(w, r, rq, obj.Info())
	if err != nil {
		return err
	}
	setSSEHeaders(w.Header(), obj.Info().Encryption, ck)
	if length == 0 {
		w.WriteHeader(status)
		return nil
	}
	body, err := obj.Range(rq.ctx, start, length)
	if err != nil {
		return err
	}
	defer func() { _ = body.Close() }() // read side: releases buffers only
	return streamBody(w, status, body)
}

// headObject handles HEAD /bucket/key[?versionId=].
func (s *server) headObject(w http.ResponseWriter, r *http.Request, rq *request) error {
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	ck, err := s.customerKey(r, false)
	if err != nil {
		return err
	}
	info, err := s.store.GetObjectVersion(rq.ctx, rq.tenant, rq.bucket, rq.key, vid)
	if err != nil {
		return err
	}
	if ck != nil || info.Encryption == storage.SSEC {
		// S3 wants an SSE-C object's key on HEAD too: check it.
		obj, err := s.store.OpenObjectVersion(rq.ctx, rq.tenant, rq.bucket, rq.key, info.VersionID)
		if err != nil {
			return err
		}
		err = unlockObject(obj, ck)
		info = obj.Info()
		obj.Close()
		if err != nil {
			return err
		}
	}
	_, _, status, err := s.prepareObjectResponse(w, r, rq, info)
	if err != nil {
		return err
	}
	setSSEHeaders(w.Header(), info.Encryption, ck)
	w.WriteHeader(status)
	return nil
}

// prepareObjectResponse evaluates preconditions, Range and partNumber, and
// sets every response header of GET/HEAD. It returns the byte span to send.
func (s *server) prepareObjectResponse(w http.ResponseWriter, r *http.Request, rq *request, info storage.ObjectInfo) (start, length int64, status int, err error) {
	h := w.Header()
	switch evalPreconditions(r.Header.Get("If-Match"), r.Header.Get("If-None-Match"),
		r.Header.Get("If-Modified-Since"), r.Header.Get("If-Unmodified-Since"), info) {
	case condFailed:
		return 0, 0, 0, errPreconditionFailed
	case condNotModified:
		return 0, 0, 0, errNotModified.with(http.Header{
			"Etag":          {quoteETag(info.ETag)},
			"Last-Modified": {info.ModTime.UTC().Format(http.TimeFormat)},
		})
	}

	start, length, status = 0, info.Size, http.StatusOK
	whole := true
	rangeHdr := r.Header.Get("Range")
	if pn := r.URL.Query().Get("partNumber"); pn != "" {
		if start, length, status, whole, err = applyPartNumber(h, r, info, pn); err != nil {
			return 0, 0, 0, err
		}
	} else if rangeHdr != "" {
		rs, rl, partial, err := parseRange(rangeHdr, info.Size)
		if err != nil {
			return 0, 0, 0, errInvalidRange.with(http.Header{"Content-Range": {"bytes */" + strconv.FormatInt(info.Size, 10)}})
		}
		if partial {
			start, length, status, whole = rs, rl, http.StatusPartialContent, false
			h.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+
				strconv.FormatInt(start+length-1, 10)+"/"+strconv.FormatInt(info.Size, 10))
		}
	}

	setObjectHeaders(h, info)
	s.setExpirationHeader(h, rq, info)
	setLockHeaders(h, info)
	if err := s.setVersionHeader(h, rq, rq.bucket, info.VersionID, hdrVersionID); err != nil {
		return 0, 0, 0, err
	}
	if whole && strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		setChecksumHeaders(h, info.Checksums, orDefault(info.ChecksumType, checksum.FullObject))
	}
	applyResponseOverrides(h, r)
	// A tenant's HTML opened from this listener must not run script: it
	// would share cookies with the console on the same host (cookie
	// tossing). The sandbox gives it an opaque origin without scripts, and
	// nosniff stops other content types being sniffed into HTML.
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	return start, length, status, nil
}

// responseOverrides maps response-* query parameters to the headers they set.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func applyResponseOverrides(h http.Header, r *http.Request) {
	q := r.URL.Query()
	for param, header := range responseOverrides {
		if v := q.Get(param); v != "" {
			h.Set(header, v)
		}
	}
}

// deleteObject handles DELETE /bucket/key[?versionId=]: 204 whether or not
// the key (or version) existed. On a versioned bucket it adds a delete
// marker, or with versionId removes that version for good; the headers say
// which version went and whether it was (or is) a delete marker.
func (s *server) deleteObject(w http.ResponseWriter, r *http.Request, rq *request) error {
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	res, err := s.store.DeleteObject(rq.ctx, rq.tenant, rq.bucket, rq.key, storage.DeleteOptions{
		VersionID:        vid,
		BypassGovernance: bypassGovernance(r),
	})
	h := w.Header()
	switch {
	case errors.Is(err, storage.ErrObjectNotFound), errors.Is(err, storage.ErrNoSuchVersion):
		// Nothing to delete: still 204, naming the version asked for.
		if err := s.setVersionHeader(h, rq, rq.bucket, vid, hdrVersionID); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		if err := s.setVersionHeader(h, rq, rq.bucket, res.VersionID, hdrVersionID); err != nil {
			return err
		}
	}
	if res.DeleteMarker {
		h.Set(hdrDeleteMarker, "true")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// firstReadPool holds the buffers of streamBody's first read. Storage
// decodes and verifies a whole block on that read whatever the buffer size,
// so the buffer only needs to be big enough for small objects.
var firstReadPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// streamBody sends status and then body. The first block is read before
// the status goes out, so a storage failure there (quorum lost, bitrot past
// repair) is still a clean S3 error. The rest goes through io.Copy, which
// uses the storage range reader's WriteTo: verified shard data is written
// to the connection without user-space copies. A read error after the
// status is returned and the connection is cut; a write error means the
// client left, which is not the server's failure.
func streamBody(w http.ResponseWriter, status int, body io.Reader) error {
	bp := firstReadPool.Get().(*[]byte)
	defer firstReadPool.Put(bp)
	n, err := io.ReadAtLeast(body, *bp, 1)
	if err != nil && err != io.EOF {
		return err
	}
	w.WriteHeader(status)
	if n > 0 {
		if _, werr := w.Write((*bp)[:n]); werr != nil {
			return nil
		}
	}
	if err == io.EOF {
		return nil
	}
	cw := &clientWriter{w: w}
	if _, err := io.Copy(cw, body); err != nil && cw.err == nil {
		return err
	}
	return nil
}

// clientWriter remembers a failed write to the client, so streamBody can
// tell a client that left from a storage read error.
type clientWriter struct {
	w   io.Writer
	err error
}

func (c *clientWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
