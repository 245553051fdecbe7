// Package console serves the Coffer console listener: the JSON API used by the
// embedded web UI and the operator CLI, plus /metrics, /healthz and /readyz.
//
// Handlers have the shape func(w, r) error; an error is rendered once, by
// server.render, from the table in errors.go.
package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/reqid"
	"github.com/cofferstore/coffer/storage"
)

// Config configures the console handler.
type Config struct {
	Store          storage.ObjectStore
	Auth           *auth.Store
	PublicEndpoint string // S3 endpoint URL shown to tenants
	// VirtualHostDomain is the domain of virtual-hosted-style addresses
	// ("bucket.DOMAIN"); "" when the S3 endpoint serves path style only.
	VirtualHostDomain string
	Region            string // auth.DefaultRegion when empty
	SecureCookies     bool   // true under TLS
	Logger            *slog.Logger
	Metrics           http.Handler // served at /metrics (token check is inside); nil = 404
	// Lifecycle runs a lifecycle pass for POST /api/admin/lifecycle/run; nil = 503.
	Lifecycle LifecycleRunner
	// Usage keeps the usage history behind the charts; nil = 503.
	Usage UsageHistory
	// Ops feeds the operator overview and POST /api/admin/scrub (overview.go).
	Ops Operations
	// MasterKey rotates the master key for /api/admin/master-key; nil = 503.
	MasterKey MasterKeyRotator
	// Cluster shows cluster mode at /api/admin/cluster and gates /readyz on
	// etcd; nil on a single node.
	Cluster ClusterView
}

// maxBodyBytes bounds every JSON request body.
const maxBodyBytes = 64 << 10

// handlerFunc is a console handler: it writes a response or returns an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// server holds the dependencies of every handler; it has no global state.
type server struct {
	store  storage.ObjectStore
	auth   *auth.Store
	cfg    Config
	log    *slog.Logger
	region string
	// scrubbing is set while POST /api/admin/scrub runs a pass.
	scrubbing atomic.Bool
}

// New returns the console HTTP handler.
func New(cfg Config) http.Handler {
	s := &server{store: cfg.Store, auth: cfg.Auth, cfg: cfg, log: cfg.Logger, region: cfg.Region}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.region == "" {
		s.region = auth.DefaultRegion
	}
	return s.routes()
}

func (s *server) routes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "no such endpoint: %s", r.URL.Path)
	})
	r.MethodNotAllowedHandler = s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path)
	})

	r.Handle("/healthz", s.wrap(s.healthz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", s.wrap(s.readyz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", s.wrap(s.metrics)).Methods(http.MethodGet, http.MethodHead)

	handle := func(method, path string, h handlerFunc) {
		r.Handle("/api"+path, s.wrap(h)).Methods(method)
	}

	// Sessions.
	handle(http.MethodPost, "/login", s.login)
	handle(http.MethodPost, "/logout", s.requireSession(s.logout))
	handle(http.MethodGet, "/me", s.requireSession(s.me))
	handle(http.MethodGet, "/session", s.sessionProbe)
	handle(http.MethodPut, "/me/password", s.requireSession(s.changePassword))
	handle(http.MethodGet, "/me/sessions", s.requireSession(s.listSessions))
	handle(http.MethodDelete, "/me/sessions", s.requireSession(s.logoutOthers))

	// Tenant API: always the session's own tenant.
	handle(http.MethodGet, "/credentials", s.requireTenant(s.getCredentials))
	handle(http.MethodPost, "/credentials", s.requireTenant(s.generateCredentials))
	handle(http.MethodPost, "/credentials/rotate", s.requireTenant(s.rotateCredentials))
	handle(http.MethodDelete, "/credentials", s.requireTenant(s.deleteCredentials))
	handle(http.MethodGet, "/containers", s.requireTenant(s.listContainers))
	handle(http.MethodPost, "/containers", s.requireTenant(s.createContainer))
	handle(http.MethodDelete, "/containers/{name}", s.requireTenant(s.deleteContainer))
	handle(http.MethodGet, "/containers/{name}/uploads", s.requireTenant(s.listUploads))
	handle(http.MethodPut, "/containers/{name}/versioning", s.requireTenant(s.setVersioning))
	handle(http.MethodDelete, "/containers/{name}/uploads", s.requireTenant(s.abortUploads))
	handle(http.MethodGet, "/containers/{name}/lifecycle", s.requireTenant(s.getLifecycle))
	handle(http.MethodPut, "/containers/{name}/lifecycle", s.requireTenant(s.putLifecycle))
	handle(http.MethodGet, "/containers/{name}/policy", s.requireTenant(s.getPolicy))
	handle(http.MethodPut, "/containers/{name}/policy", s.requireTenant(s.putPolicy))
	handle(http.MethodDelete, "/containers/{name}/policy", s.requireTenant(s.deletePolicy))
	// Object browser: keys travel in ?key=, never in the path.
	handle(http.MethodGet, "/containers/{name}/objects", s.requireTenant(s.listObjects))
	handle(http.MethodPost, "/containers/{name}/objects/delete", s.requireTenant(s.deleteObjects))
	handle(http.MethodPost, "/containers/{name}/folders", s.requireTenant(s.createFolder))
	handle(http.MethodGet, "/containers/{name}/object", s.requireTenant(s.downloadObject))
	handle(http.MethodPut, "/containers/{name}/object", s.requireTenant(s.putObject))
	handle(http.MethodDelete, "/containers/{name}/object", s.requireTenant(s.deleteObject))
	handle(http.MethodGet, "/containers/{name}/object/info", s.requireTenant(s.objectInfo))
	handle(http.MethodGet, "/containers/{name}/object/versions", s.requireTenant(s.objectVersions))
	handle(http.MethodPost, "/containers/{name}/object/share", s.requireTenant(s.shareLink))
	handle(http.MethodPost, "/containers/{name}/object/restore", s.requireTenant(s.restoreVersion))
	handle(http.MethodPost, "/containers/{name}/uploads", s.requireTenant(s.createUpload))
	handle(http.MethodPut, "/containers/{name}/uploads/{id}/parts/{n}", s.requireTenant(s.putPart))
	handle(http.MethodPost, "/containers/{name}/uploads/{id}/complete", s.requireTenant(s.completeUpload))
	handle(http.MethodGet, "/settings", s.requireTenant(s.settings))
	handle(http.MethodGet, "/usage", s.requireTenant(s.usage))
	handle(http.MethodGet, "/usage/history", s.requireTenant(s.tenantUsageHistory))

	// Operator API.
	handle(http.MethodGet, "/admin/tenants", s.requireOperator(s.listTenants))
	handle(http.MethodPost, "/admin/tenants", s.requireOperator(s.createTenant))
	handle(http.MethodGet, "/admin/tenants/{t}", s.requireOperator(s.showTenant))
	handle(http.MethodDelete, "/admin/tenants/{t}", s.requireOperator(s.deleteTenant))
	handle(http.MethodPut, "/admin/tenants/{t}/quota", s.requireOperator(s.setQuota))
	handle(http.MethodPost, "/admin/tenants/{t}/suspend", s.requireOperator(s.suspendTenant(true)))
	handle(http.MethodPost, "/admin/tenants/{t}/resume", s.requireOperator(s.suspendTenant(false)))
	handle(http.MethodGet, "/admin/tenants/{t}/users", s.requireOperator(s.listUsers))
	handle(http.MethodPost, "/admin/tenants/{t}/users", s.requireOperator(s.createUser))
	handle(http.MethodPut, "/admin/tenants/{t}/users/{u}/password", s.requireOperator(s.setUserPassword))
	handle(http.MethodDelete, "/admin/tenants/{t}/users/{u}", s.requireOperator(s.deleteUser))
	handle(http.MethodGet, "/admin/tenants/{t}/volumes", s.requireOperator(s.listVolumes))
	handle(http.MethodPost, "/admin/tenants/{t}/volumes", s.requireOperator(s.addVolume))
	handle(http.MethodDelete, "/admin/tenants/{t}/volumes/{name}", s.requireOperator(s.removeVolume))
	handle(http.MethodDelete, "/admin/tenants/{t}/volumes", s.requireOperator(s.removeVolume))
	handle(http.MethodGet, "/admin/tenants/{t}/keys", s.requireOperator(s.adminGetKey))
	handle(http.MethodPost, "/admin/tenants/{t}/keys", s.requireOperator(s.adminGenerateKey))
	handle(http.MethodPost, "/admin/tenants/{t}/keys/rotate", s.requireOperator(s.adminRotateKey))
	handle(http.MethodDelete, "/admin/tenants/{t}/keys", s.requireOperator(s.adminDeleteKey))
	handle(http.MethodGet, "/admin/drives", s.requireOperator(s.drives))
	handle(http.MethodGet, "/admin/overview", s.requireOperator(s.overview))
	handle(http.MethodPost, "/admin/scrub", s.requireOperator(s.scrubNow))
	handle(http.MethodGet, "/admin/cluster", s.requireOperator(s.clusterStatus))
	handle(http.MethodGet, "/admin/tenants/{t}/containers", s.requireOperator(s.tenantContainers))
	handle(http.MethodGet, "/admin/audit", s.requireOperator(s.auditLog))
	handle(http.MethodPost, "/admin/lifecycle/run", s.requireOperator(s.runLifecycle))
	handle(http.MethodGet, "/admin/tenants/{t}/usage/history", s.requireOperator(s.adminUsageHistory))
	handle(http.MethodPost, "/admin/usage/sample", s.requireOperator(s.sampleUsage))
	handle(http.MethodPost, "/admin/master-key/rotate", s.requireOperator(s.rotateMasterKey))
	handle(http.MethodGet, "/admin/master-key", s.requireOperator(s.masterKeyStatus))
	handle(http.MethodGet, "/admin/tenants/{t}/lifecycle-default", s.requireOperator(s.lifecycleDefault))
	handle(http.MethodPut, "/admin/tenants/{t}/lifecycle-default", s.requireOperator(s.setLifecycleDefault))
	handle(http.MethodGet, "/admin/tenants/{t}/public-access-block", s.requireOperator(s.tenantPublicAccess))
	handle(http.MethodPut, "/admin/tenants/{t}/public-access-block", s.requireOperator(s.setTenantPublicAccess))

	// The API and probes go to the router (JSON 404/405 for unknown API
	// paths); everything else is the embedded web UI.
	web := webHandler()
	return securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if isAPIPath(req.URL.Path) {
			r.ServeHTTP(w, req)
			return
		}
		web.ServeHTTP(w, req)
	}))
}

// isAPIPath reports whether p is served by the router rather than the web UI.
func isAPIPath(p string) bool {
	switch p {
	case "/api", "/healthz", "/readyz", "/metrics":
		return true
	}
	return strings.HasPrefix(p, "/api/")
}

// securityHeaders sets headers every console response carries; API responses
// are never cached because some carry secrets.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

type requestIDKey struct{}

// wrap adapts a handlerFunc to http.Handler: it assigns a request id and
// renders a returned error in the one place errors are rendered.
func (s *server) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := reqid.New()
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		if err := h(w, r); err != nil {
			s.render(w, r, err)
		}
	})
}

// render writes err as {"error": message, ...fields} with its status. Errors
// that map to 500 are logged with the request id; the client sees only
// "internal error".
func (s *server) render(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	if ae.Status >= 500 {
		id, _ := r.Context().Value(requestIDKey{}).(string)
		s.log.Error("console request failed", "request_id", id, "method", r.Method,
			"path", r.URL.Path, "status", ae.Status, "err", err.Error())
	}
	// No WWW-Authenticate challenge on 401: a browser that cached Basic
	// credentials from a prompt would attach them to cross-site requests,
	// and Basic requests skip the CSRF check. The CLI sends them unasked.
	if ae.Status == http.StatusTooManyRequests {
		if secs, ok := ae.Fields["retryAfter"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
	}
	body := map[string]any{}
	for k, v := range ae.Fields {
		body[k] = v
	}
	body["error"] = ae.Message
	_ = writeJSON(w, ae.Status, body) // the status is sent; a failed body write has no one to tell
}

// writeJSON writes v as the JSON response body with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}

// readJSON decodes a bounded JSON request body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return errorf(http.StatusRequestEntityTooLarge, "request body too large")
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, "request body must be a JSON object")
		default:
			return errorf(http.StatusBadRequest, "invalid JSON body: %v", jsonErrorText(err))
		}
	}
	return nil
}

// jsonErrorText describes a decode error without echoing request content.
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error"
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	default:
		return "malformed"
	}
}

// remoteIP is the client address recorded in the audit log and used for
// login rate limiting. Forwarding headers are not trusted.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
