package s3api

import (
	"bytes"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// errLifecycleTooLarge is a configuration that parses but is above
// storage's bound for the document (256 KiB once canonicalised).
var errLifecycleTooLarge = errorf("MaxMessageLengthExceeded", http.StatusBadRequest, "Your request was too big.")

// lifecycleAPIError renders a rule validation failure with the code,
// status and message pkg/lifecycle took from AWS (nil for other errors).
func lifecycleAPIError(err error) *apiError {
	var le *lifecycle.Error
	if !errors.As(err, &le) {
		return nil
	}
	return errorf(le.Code, le.Status, le.Message)
}

// putBucketLifecycle handles PUT /bucket?lifecycle. Like AWS it requires
// Content-MD5 or an x-amz-checksum-* value; the configuration is stored as
// lifecycle.Marshal's canonical form and replaces any previous one whole.
func (s *server) putBucketLifecycle(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readDigestedBody(r, rq, lifecycle.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, errXMLTooLarge) {
			return lifecycle.ErrBodyTooLarge
		}
		return err
	}
	cfg, err := lifecycle.ParseBytes(data)
	if err != nil {
		return err
	}
	doc, err := lifecycle.Marshal(cfg)
	if err != nil {
		return err
	}
	err = s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigLifecycle, doc)
	s.lifecycles.forget(rq.tenant, rq.bucket)
	if errors.Is(err, storage.ErrConfigTooLarge) {
		return errLifecycleTooLarge
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketLifecycle handles GET /bucket?lifecycle.
func (s *server) getBucketLifecycle(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, err := s.store.GetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigLifecycle)
	if err != nil {
		return err // a missing one is NoSuchLifecycleConfiguration (configerrors.go)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(doc)
	return err
}

// deleteBucketLifecycle handles DELETE /bucket?lifecycle: 204 whether or
// not a configuration was set, as on AWS.
func (s *server) deleteBucketLifecycle(w http.ResponseWriter, r *http.Request, rq *request) error {
	err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigLifecycle, nil)
	s.lifecycles.forget(rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lifecycleRoutes adds the lifecycle sub-resource routes.
func (s *server) lifecycleRoutes(add routeAdder) {
	add("PUT", levelBucket, "PutBucketLifecycleConfiguration", s.putBucketLifecycle, hasQuery("lifecycle"))
	add("GET", levelBucket, "GetBucketLifecycleConfiguration", s.getBucketLifecycle, hasQuery("lifecycle"))
	add("DELETE", levelBucket, "DeleteBucketLifecycle", s.deleteBucketLifecycle, hasQuery("lifecycle"))
}

// setExpirationHeader sets x-amz-expiration on a PUT/GET/HEAD response of
// a current version a rule will expire. A failure to read the bucket's
// configuration only loses the header: it never fails the request.
func (s *server) setExpirationHeader(h http.Header, rq *request, info storage.ObjectInfo) {
	if !info.IsLatest || info.DeleteMarker {
		return
	}
	cfg := s.lifecycles.get(s.store, rq, rq.bucket)
	if cfg == nil {
		return
	}
	o := lifecycle.Object{Key: info.Key, Size: info.Size, Tags: info.Meta.Tags, ModTime: info.ModTime, IsLatest: true}
	if o.Key == "" {
		o.Key = rq.key
	}
	if v, ok := cfg.ExpirationHeader(&o); ok {
		h.Set("X-Amz-Expiration", v)
	}
}

// setAbortHeaders sets x-amz-abort-date and x-amz-abort-rule-id for an
// upload a bucket rule will abort (CreateMultipartUpload, ListParts). The
// tenant default names no rule, so S3 sends nothing for it.
func (s *server) setAbortHeaders(h http.Header, rq *request, key string, initiated time.Time) {
	cfg := s.lifecycles.get(s.store, rq, rq.bucket)
	if cfg == nil {
		return
	}
	d := cfg.AbortFor(&lifecycle.Upload{Key: key, Initiated: initiated})
	if date, rule, ok := d.AbortHeaders(); ok {
		h.Set("X-Amz-Abort-Date", date)
		h.Set("X-Amz-Abort-Rule-Id", rule)
	}
}

// lifecycleCache keeps each bucket's parsed configuration so GET/HEAD pay
// no parse. Put/Delete of the configuration through this server forget
// the entry; an entry older than lifecycleCacheTTL is checked against the
// stored document (a byte compare, no parse) so writes from elsewhere
// (the console, a bucket deleted and created again) are seen within it.
type lifecycleCache struct {
	mu      sync.Mutex
	entries map[string]*lifecycleEntry
}

type lifecycleEntry struct {
	doc     []byte // nil: no configuration
	cfg     *lifecycle.Configuration
	checked time.Time
}

const (
	lifecycleCacheTTL = 10 * time.Second
	// lifecycleCacheMax bounds the cache; past it the cache starts over.
	lifecycleCacheMax = 10000
)

func lifecycleCacheKey(tenant, bucket string) string { return tenant + "\x00" + bucket }

func (c *lifecycleCache) forget(tenant, bucket string) {
	c.mu.Lock()
	delete(c.entries, lifecycleCacheKey(tenant, bucket))
	c.mu.Unlock()
}

// get returns the bucket's configuration, nil when it has none (or it
// cannot be read now).
func (c *lifecycleCache) get(store storage.ObjectStore, rq *request, bucket string) *lifecycle.Configuration {
	k := lifecycleCacheKey(rq.tenant, bucket)
	now := time.Now()
	c.mu.Lock()
	e := c.entries[k]
	c.mu.Unlock()
	if e != nil && now.Sub(e.checked) < lifecycleCacheTTL {
		return e.cfg
	}
	doc, err := store.GetBucketConfig(rq.ctx, rq.tenant, bucket, storage.ConfigLifecycle)
	if err != nil && !errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return nil
	}
	ne := &lifecycleEntry{doc: doc, checked: now}
	switch {
	case e != nil && bytes.Equal(e.doc, doc):
		ne.cfg = e.cfg
	case doc != nil:
		cfg, err := lifecycle.ParseBytes(doc)
		if err != nil {
			return nil // stored by an older build or by hand: no header rather than a failure
		}
		ne.cfg = cfg
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= lifecycleCacheMax {
		c.entries = map[string]*lifecycleEntry{}
	}
	c.entries[k] = ne
	c.mu.Unlock()
	return ne.cfg
}

// setAbortHeadersNow is setAbortHeaders for an upload initiated now
// (CreateMultipartUpload: storage does not return the initiation time,
// which is this request's to within its commit).
func (s *server) setAbortHeadersNow(h http.Header, rq *request, key string) {
	s.setAbortHeaders(h, rq, key, time.Now())
}
