// Package s3api is the HTTP layer of Coffer's S3 API: it routes requests with
// gorilla/mux, verifies them with auth.Verifier, calls storage.ObjectStore and
// renders S3 XML. Handlers return errors; errors.go renders them in one place.
package s3api

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/storage"
)

// Config wires the S3 handler to the store and the verifier.
type Config struct {
	Store    storage.ObjectStore
	Verifier *auth.Verifier
	Domains  []string // virtual-hosted-style base domains (see addressingDomains)
	Region   string   // auth.DefaultRegion when empty
	Logger   *slog.Logger
	Observer Observer // may be nil
	// WriteLimits cap concurrent writes; the zero value caps nothing.
	WriteLimits WriteLimits
	// PublicEndpoint is the S3 URL tenants use; without Domains its host
	// name is the virtual-hosted-style domain.
	PublicEndpoint string
	// SSECAllowHTTP accepts SSE-C keys over plain HTTP (--sse-c-allow-http;
	// tests): AWS refuses them, since a key sent in clear is compromised.
	SSECAllowHTTP bool
}

// Observer receives one call per finished S3 request (implemented by pkg/metrics).
type Observer interface {
	S3Request(op string, status int, d time.Duration, bytesIn, bytesOut int64)
	S3AuthFailure(reason string)
	S3InFlight(delta int)
}

// server holds the handler's dependencies and a cache of bucket lifecycle
// configurations; it has no other state.
type server struct {
	store    storage.ObjectStore
	verifier *auth.Verifier
	domains  []string
	region   string
	log      *slog.Logger
	obs      Observer
	writes   *writeLimiter
	router   *mux.Router
	// lifecycles caches parsed bucket lifecycle configurations (lifecycle.go).
	lifecycles    lifecycleCache
	policies      policyCache // parsed bucket policies (accessconfig.go)
	cors          *corsCache  // parsed bucket CORS rules (cors.go)
	sseCAllowHTTP bool        // Config.SSECAllowHTTP
}

// handlerFunc is the shape of every S3 operation handler.
type handlerFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

// level says what a request path addresses.
type level int

const (
	levelService level = iota // "/"
	levelBucket               // "/bucket"
	levelObject               // "/bucket/key"
)

// New returns the S3 API handler.
func New(cfg Config) http.Handler {
	s := &server{
		store:    cfg.Store,
		verifier: cfg.Verifier,
		region:   cfg.Region,
		log:      cfg.Logger,
		obs:      cfg.Observer,
		writes:   newWriteLimiter(cfg.WriteLimits),
		cors:     newCORSCache(),

		sseCAllowHTTP: cfg.SSECAllowHTTP,
	}
	if s.region == "" {
		s.region = auth.DefaultRegion
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.domains = addressingDomains(cfg.Domains, cfg.PublicEndpoint)
	s.router = s.routes()
	return s
}

// routes builds the route table. Query-matched routes come before plain ones
// so that, say, GET /b?uploads never falls through to ListObjects.
func (s *server) routes() *mux.Router {
	m := mux.NewRouter()
	m.SkipClean(true) // keys like "a//b" or "../x" are names, not paths to clean
	add := func(method string, l level, op string, h handlerFunc, extra ...mux.MatcherFunc) {
		rt := m.NewRoute().Methods(method).MatcherFunc(atLevel(l))
		for _, mf := range extra {
			rt = rt.MatcherFunc(mf)
		}
		rt.Handler(s.wrap(op, h))
	}
	q := hasQuery

	// Browsers: preflights and form uploads carry no request signature.
	m.NewRoute().Methods("OPTIONS").MatcherFunc(atLevel(levelBucket)).Handler(s.preflight())
	m.NewRoute().Methods("OPTIONS").MatcherFunc(atLevel(levelObject)).Handler(s.preflight())

	// Objects: query-matched first.
	add("PUT", levelObject, "UploadPartCopy", s.uploadPartCopy, q("partNumber"), q("uploadId"), hasHeader("X-Amz-Copy-Source"))
	add("PUT", levelObject, "UploadPart", s.uploadPart, q("partNumber"), q("uploadId"))
	add("GET", levelObject, "ListParts", s.listParts, q("uploadId"))
	add("POST", levelObject, "CompleteMultipartUpload", s.completeMultipartUpload, q("uploadId"))
	add("DELETE", levelObject, "AbortMultipartUpload", s.abortMultipartUpload, q("uploadId"))
	add("POST", levelObject, "CreateMultipartUpload", s.createMultipartUpload, q("uploads"))
	add("GET", levelObject, "GetObjectAttributes", s.getObjectAttributes, q("attributes"))
	add("GET", levelObject, "GetObjectTagging", s.getObjectTagging, q("tagging"))
	add("PUT", levelObject, "PutObjectTagging", s.putObjectTagging, q("tagging"))
	add("DELETE", levelObject, "DeleteObjectTagging", s.deleteObjectTagging, q("tagging"))
	s.lockRoutes(add)
	s.lifecycleRoutes(add)

	// Buckets: query-matched first.
	add("GET", levelBucket, "GetBucketLocation", s.getBucketLocation, q("location"))
	add("GET", levelBucket, "GetBucketVersioning", s.getBucketVersioning, q("versioning"))
	add("PUT", levelBucket, "PutBucketVersioning", s.putBucketVersioning, q("versioning"))
	add("GET", levelBucket, "ListObjectVersions", s.listObjectVersions, q("versions"))
	add("GET", levelBucket, "ListMultipartUploads", s.listMultipartUploads, q("uploads"))
	add("POST", levelBucket, "DeleteObjects", s.deleteObjects, q("delete"))
	add("GET", levelBucket, "ListObjectsV2", s.listObjectsV2, queryIs("list-type", "2"))
	add("GET", levelBucket, "GetBucketCors", s.getBucketCORS, q("cors"))
	add("PUT", levelBucket, "PutBucketCors", s.putBucketCORS, q("cors"))
	add("DELETE", levelBucket, "DeleteBucketCors", s.deleteBucketCORS, q("cors"))
	add("GET", levelBucket, "GetBucketTagging", s.getBucketTagging, q("tagging"))
	add("PUT", levelBucket, "PutBucketTagging", s.putBucketTagging, q("tagging"))
	add("DELETE", levelBucket, "DeleteBucketTagging", s.deleteBucketTagging, q("tagging"))
	add("GET", levelBucket, "GetBucketEncryption", s.getBucketEncryption, q("encryption"))
	add("PUT", levelBucket, "PutBucketEncryption", s.putBucketEncryption, q("encryption"))
	add("DELETE", levelBucket, "DeleteBucketEncryption", s.deleteBucketEncryption, q("encryption"))

	s.accessRoutes(add)

	// Any other sub-resource (acl, policy, versions, ...) is not implemented:
	// it must never fall through to a plain route and succeed wrongly.
	m.NewRoute().MatcherFunc(hasSubresource).Handler(s.wrap("Unknown", notImplemented))

	// Plain routes.
	add("PUT", levelObject, "CopyObject", s.copyObject, hasHeader("X-Amz-Copy-Source"))
	add("PUT", levelObject, "PutObject", s.putObject)
	add("GET", levelObject, "GetObject", s.getObject)
	add("HEAD", levelObject, "HeadObject", s.headObject)
	add("DELETE", levelObject, "DeleteObject", s.deleteObject)
	add("PUT", levelBucket, "CreateBucket", s.createBucket)
	add("HEAD", levelBucket, "HeadBucket", s.headBucket)
	add("DELETE", levelBucket, "DeleteBucket", s.deleteBucket)
	add("GET", levelBucket, "ListObjects", s.listObjectsV1)
	m.NewRoute().Methods("POST").MatcherFunc(atLevel(levelBucket)).Handler(s.postObject())
	add("GET", levelService, "ListBuckets", s.listBuckets)

	unknown := s.wrap("Unknown", notImplemented)
	m.NotFoundHandler = unknown
	m.MethodNotAllowedHandler = unknown
	return m
}

// notImplemented answers every operation Coffer does not support.
func notImplemented(http.ResponseWriter, *http.Request, *request) error {
	return errNotImplemented
}

// atLevel matches requests addressing the service, a bucket or an object.
func atLevel(l level) mux.MatcherFunc {
	return func(r *http.Request, _ *mux.RouteMatch) bool {
		st := stateFrom(r)
		return st != nil && st.level() == l
	}
}

// hasQuery matches requests carrying the query parameter, with any value.
func hasQuery(name string) mux.MatcherFunc {
	return func(r *http.Request, _ *mux.RouteMatch) bool { return r.URL.Query().Has(name) }
}

// queryIs matches requests whose query parameter has exactly this value.
func queryIs(name, value string) mux.MatcherFunc {
	return func(r *http.Request, _ *mux.RouteMatch) bool { return r.URL.Query().Get(name) == value }
}

// hasHeader matches requests carrying a non-empty header.
func hasHeader(name string) mux.MatcherFunc {
	return func(r *http.Request, _ *mux.RouteMatch) bool { return r.Header.Get(name) != "" }
}

// subresources are S3 query parameters naming features Coffer does not have.
var subresources = []string{
	"accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering",
	"inventory", "legal-hold", "lifecycle", "logging", "metadataTable", "metrics", "notification",
	"object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
	"requestPayment", "restore", "retention", "select", "session", "tagging", "torrent", "uploads",
	"versioning", "versions", "website", "location", "delete", "uploadId", "renameObject",
}

// hasSubresource matches a request naming any sub-resource; it is consulted
// only after the implemented query routes did not match.
func hasSubresource(r *http.Request, _ *mux.RouteMatch) bool {
	q := r.URL.Query()
	for _, name := range subresources {
		if q.Has(name) {
			return true
		}
	}
	// GET, HEAD and DELETE of an object address versions; on any other
	// plain route a version id would be silently ignored.
	if v := q.Get("versionId"); v != "" && v != "null" && !versionAddressed(r) {
		return true
	}
	return false
}

// versionAddressed reports a request whose plain route takes ?versionId=.
func versionAddressed(r *http.Request) bool {
	st := stateFrom(r)
	if st == nil || st.level() != levelObject {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodDelete:
		return true
	}
	return false
}

// route is the one addressing decision for a request: its bucket and key,
// and whether the bucket came from a virtual-hosted-style Host header under
// the configured domains. The verifier is handed the same decision
// (authTarget), because SigV2 does not sign the Host header: a signature
// must bind exactly the bucket and key this function picks. A Host that
// is plainly virtual-hosted but under no domain of ours is an error, never
// path style: its path's first segment is a key, not a bucket.
func (s *server) route(r *http.Request) (bucket, key string, hostStyle bool, err error) {
	path := r.URL.Path
	b, err := s.hostBucket(r.Host)
	if err != nil {
		return "", "", false, err
	}
	if b != "" {
		return b, strings.TrimPrefix(path, "/"), true, nil
	}
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return "", "", false, nil
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key, false, nil
}

// hostBucket returns the bucket named by a host "bucket.domain[:port]", or
// "" for a path-style host; see virtualHostUnderIP for the error.
func (s *server) hostBucket(host string) (string, error) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range s.domains {
		if strings.HasSuffix(host, "."+d) {
			return strings.TrimSuffix(host, "."+d), nil
		}
	}
	return "", virtualHostUnderIP(host)
}
