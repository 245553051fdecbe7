package s3api

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/pkg/postpolicy"
	"github.com/cofferstore/coffer/storage"
)

// Browser uploads (POST Object with an HTML form): the form, not the
// request, is signed, so this route skips the verifier and authenticates
// with postpolicy.Authorize, then authorizes a PutObject by the signer (or
// by anyone, for an unsigned form at a tenant:bucket address) as every
// other request is authorized; the rest is PutObject's path with the
// form's fields as the request headers.

// postObject handles POST /bucket (no sub-resource).
func (s *server) postObject() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r)
		st.op = "PostObject"
		if err := s.servePostObject(w, r, st); err != nil {
			s.fail(w, r, st, err)
		}
	})
}

func (s *server) servePostObject(w http.ResponseWriter, r *http.Request, st *reqState) error {
	if headerSize(r.Header) > maxHeaderBytes {
		return errHeaderTooLarge
	}
	if s.verifier == nil {
		return auth.ErrMissingAuth
	}
	// The body is read under the server's body deadline (slow bodies are
	// cut), and ReadForm bounds what it holds before the file.
	body := countingReader{r: r.Body, n: &st.bytesIn}
	form, err := postpolicy.ReadForm(body, r.Header.Get("Content-Type"), postpolicy.DefaultLimits)
	if err != nil {
		return err
	}
	// The address may name the bucket's tenant ("tenant:bucket",
	// address.go): an unsigned form must, a signed one may.
	ns, bucket, named := splitBucketAddress(st.bucket)
	up, err := postpolicy.Authorize(form, bucket, time.Now(), postpolicy.VerifyOptions{
		Region:       s.region,
		Lookup:       s.verifier.LookupSecret,
		DisableSigV2: s.verifier.SigV2Disabled(),
	})
	if err != nil {
		s.authFailed(toAPIError(err).Code)
		return err
	}
	if up.Signer.Version == 0 && !named {
		return auth.ErrMissingAuth // anonymous, and no tenant to ask
	}
	if up.Signer.Version != 0 {
		s.verifier.MarkUsed(up.Signer.AccessKey)
	}
	if !named {
		ns = up.Signer.Tenant
	}
	st.tenant, st.key = ns, up.Key
	rq := &request{ctx: r.Context(), id: st.id, tenant: ns, principal: up.Signer.Tenant, bucket: bucket, key: up.Key, size: -1}
	s.addCORS(w, r, rq)
	if err := s.checkTenants(r, rq); err != nil {
		return err
	}
	// The form's fields stand in for PUT's headers, so the bucket's
	// policy, ACL and Block Public Access settings judge it as a PutObject
	// (an unsigned form is allowed only by a policy or ACL granting
	// s3:PutObject to anyone).
	fr := r.Clone(r.Context())
	fr.Header = formHeader(form)
	if err := s.authorize(fr, "PutObject", rq); err != nil {
		return err
	}
	release, err := s.writes.acquireWait(r.Context(), rq.tenant)
	if err != nil {
		return err
	}
	defer release()

	// Metadata, checksum, ACL and lock rules are PUT's own.
	opts, err := bodyOptions(fr, rq)
	if err != nil {
		return err
	}
	if opts.Meta, err = metaFromRequest(fr); err != nil {
		return err
	}
	if v, ok := form.Get("tagging"); ok {
		if opts.Meta.Tags, err = parseTagging([]byte(v)); err != nil {
			return err
		}
	}
	if opts.ACL, err = s.objectWriteACL(fr, rq); err != nil {
		return err
	}
	if err := s.putLockOptions(fr, rq, &opts); err != nil {
		return err
	}
	if opts.Encryption, err = s.writeEncryption(fr); err != nil {
		return err
	}
	opts.Size = -1
	// The policy's content-length-range is enforced while the file
	// streams; storage commits only at io.EOF, so nothing out of range is
	// stored. The same bound keeps a form within PUT's size limit.
	size := up.Size
	if size.Max > storage.MaxPartSize {
		size.Max = storage.MaxPartSize
	}
	file := postpolicy.LimitLength(form.File, size)
	info, err := s.store.PutObject(rq.ctx, rq.tenant, rq.bucket, rq.key, file, opts)
	if err != nil {
		return err
	}
	status, h, out := postpolicy.Response(form, postpolicy.Result{
		Bucket:   rq.bucket,
		Key:      rq.key,
		ETag:     quoteETag(info.ETag),
		Location: objectLocation(r, st.bucket, rq.key), // the address as the client used it
	})
	setSSEHeaders(w.Header(), info.Encryption, opts.Encryption.CustomerKey)
	for k, vs := range h {
		w.Header()[k] = vs
	}
	if err := s.setVersionHeader(w.Header(), rq, rq.bucket, info.VersionID, hdrVersionID); err != nil {
		return err
	}
	setChecksumHeaders(w.Header(), info.Checksums, orDefault(info.ChecksumType, checksum.FullObject))
	w.WriteHeader(status)
	_, _ = w.Write(out)
	return nil
}

// formFieldHeaders are the form fields S3 reads as the object's headers,
// besides x-amz-* (the signature fields excluded).
var formFieldHeaders = []string{"Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires", "Content-MD5"}

// formHeader turns a form's header-like fields into a header.
func formHeader(f *postpolicy.Form) http.Header {
	h := http.Header{}
	for _, name := range formFieldHeaders {
		if v, ok := f.Get(name); ok {
			h.Set(name, v)
		}
	}
	if v, ok := f.Get("acl"); ok {
		h.Set("X-Amz-Acl", v) // a form names the canned ACL "acl"
	}
	for _, fld := range f.Fields() {
		name := strings.ToLower(fld.Name)
		switch name {
		case "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "x-amz-security-token":
			continue
		}
		if strings.HasPrefix(name, "x-amz-") {
			h.Set(name, fld.Value)
		}
	}
	return h
}

// objectLocation is the object's URL as S3 writes it in a POST answer:
// the key percent-encoded, '/' included.
func objectLocation(r *http.Request, bucket, key string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + url.PathEscape(bucket) + "/" + url.PathEscape(key)
}
