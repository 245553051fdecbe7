package s3api

import (
	"bytes"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/cofferstore/coffer/pkg/cors"
	"github.com/cofferstore/coffer/storage"
)

// Bucket CORS: the Put/Get/DeleteBucketCors calls, preflight OPTIONS
// answered before authentication, and the CORS headers of every other
// response.
//
// A preflight carries no credentials, and buckets live in per-tenant
// namespaces, so a preflight can only be answered when its address names
// the tenant (address.go: "/tenant:bucket" in the path, Ceph RGW's
// convention, or "bucket.tenant-s3alias.domain"). A preflight to
// "/bucket/..." cannot know whose bucket
// it asks about and is answered like a bucket without CORS (403
// AccessForbidden), as is a missing bucket, so nothing about existence
// leaks. Browsers skip the preflight for simple requests (GET, HEAD, and
// POST of a form), which is what presigned URLs and POST uploads are: their
// responses carry CORS headers once the signature names the tenant.

// corsCacheTTL bounds how long a parsed configuration is trusted without
// reading the store again: changes through this server invalidate at once;
// the TTL covers the others (a bucket deleted and recreated by the
// console, a tenant removed).
const corsCacheTTL = 5 * time.Second

// corsCacheMax bounds the cache; when full it starts over (the store is
// the truth, the cache only spares reads).
const corsCacheMax = 4096

// corsCache keeps each bucket's parsed CORS configuration (nil for none).
type corsCache struct {
	mu sync.Mutex
	m  map[string]corsEntry
}

type corsEntry struct {
	cfg *cors.Configuration
	at  time.Time
}

func newCORSCache() *corsCache { return &corsCache{m: map[string]corsEntry{}} }

func corsCacheKey(tenant, bucket string) string { return tenant + "\x00" + bucket }

// invalidate forgets a bucket's entry after its configuration changed.
func (c *corsCache) invalidate(tenant, bucket string) {
	c.mu.Lock()
	delete(c.m, corsCacheKey(tenant, bucket))
	c.mu.Unlock()
}

// bucketCORS returns a bucket's configuration, nil when it has none or
// does not exist (a missing bucket must look like one without CORS).
func (s *server) bucketCORS(r *http.Request, tenant, bucket string) (*cors.Configuration, error) {
	k := corsCacheKey(tenant, bucket)
	now := time.Now()
	s.cors.mu.Lock()
	e, ok := s.cors.m[k]
	s.cors.mu.Unlock()
	if ok && now.Sub(e.at) < corsCacheTTL {
		return e.cfg, nil
	}
	doc, err := s.store.GetBucketConfig(r.Context(), tenant, bucket, storage.ConfigCORS)
	var cfg *cors.Configuration
	switch {
	case err == nil:
		// Stored documents were validated on Put; one that no longer
		// parses (a stricter parser) is treated as no configuration.
		cfg, _ = cors.Parse(bytes.NewReader(doc))
	case errors.Is(err, storage.ErrNoSuchBucketConfig), errors.Is(err, storage.ErrBucketNotFound),
		errors.Is(err, storage.ErrTenantNotFound), errors.Is(err, storage.ErrInvalidBucketName):
	default:
		return nil, err
	}
	s.cors.mu.Lock()
	if len(s.cors.m) >= corsCacheMax {
		s.cors.m = map[string]corsEntry{}
	}
	s.cors.m[k] = corsEntry{cfg: cfg, at: now}
	s.cors.mu.Unlock()
	return cfg, nil
}

// addCORS sets the CORS headers of an actual (non-preflight) response from
// the bucket's rules, before the handler writes, so that error responses
// carry them too. It does nothing before the tenant is known.
func (s *server) addCORS(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq == nil || rq.tenant == "" || rq.bucket == "" {
		return
	}
	cfg, err := s.bucketCORS(r, rq.tenant, rq.bucket)
	if err != nil || cfg == nil {
		return // no headers: the browser withholds the response
	}
	_, h := cfg.Actual(cors.NewRequest(r.Method, r.Header, rq.key != ""))
	for k, vs := range h {
		w.Header()[k] = vs
	}
}

// preflightBucket reads the tenant and bucket a preflight addresses: only
// an address naming the tenant (address.go: "tenant:bucket" in the path,
// or the virtual-hosted "bucket.tenant-s3alias") says whose bucket it is.
func preflightBucket(st *reqState) (tenant, bucket string, ok bool) {
	tenant, bucket, ok = splitBucketAddress(st.bucket)
	return tenant, bucket, ok && tenant != "" && bucket != ""
}

// preflight answers OPTIONS on a bucket or object from the bucket's rules,
// without authentication (browsers send no credentials on a preflight).
func (s *server) preflight() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r)
		st.op = "PreflightCORS"
		var cfg *cors.Configuration
		if tenant, bucket, ok := preflightBucket(st); ok {
			var err error
			if cfg, err = s.bucketCORS(r, tenant, bucket); err != nil {
				s.fail(w, r, st, err)
				return
			}
		}
		_, h, err := cfg.Preflight(cors.NewRequest(r.Method, r.Header, st.key != ""))
		if err != nil {
			s.fail(w, r, st, err)
			return
		}
		for k, vs := range h {
			w.Header()[k] = vs
		}
		w.WriteHeader(http.StatusOK)
	})
}

// getBucketCORS handles GET /bucket?cors.
func (s *server) getBucketCORS(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, err := s.store.GetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigCORS)
	if err != nil {
		return withBucketName(err, rq.bucket)
	}
	cfg, err := cors.Parse(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	out, err := cfg.Marshal()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(out)
	return err
}

// putBucketCORS handles PUT /bucket?cors. Like DeleteObjects it needs
// Content-MD5 or an x-amz-checksum-* value. The document is stored as
// sent once it validates.
func (s *server) putBucketCORS(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readDigestedBody(r, rq, cors.MaxConfigSize)
	if err != nil {
		return err
	}
	if _, err := cors.Parse(bytes.NewReader(data)); err != nil {
		return err
	}
	err = s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigCORS, data)
	s.cors.invalidate(rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucketCORS handles DELETE /bucket?cors; deleting none is a success.
func (s *server) deleteBucketCORS(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigCORS, nil)
	s.cors.invalidate(rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
