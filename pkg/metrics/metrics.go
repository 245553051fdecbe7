package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cofferstore/coffer/storage"
)

// namespace prefixes every Coffer metric name.
const namespace = "coffer"

// collectTimeout bounds the storage reads of one scrape.
const collectTimeout = 10 * time.Second

// Options configure New.
type Options struct {
	// Store is read at scrape time for usage, drive and scrub figures. When nil
	// only the process and S3 traffic metrics are exported.
	Store storage.ObjectStore
	// Token, when not empty, is the bearer token every scrape must present.
	Token string
	// Logger receives collection errors; nil discards them.
	Logger *slog.Logger
	// Lifecycle, when set, exports the lifecycle executor's counts.
	Lifecycle LifecycleSource
	// Cluster, when set (cluster mode), exports membership, leadership and
	// heal progress.
	Cluster ClusterSource
	// Now is the clock of the per-minute request counts (RequestHistory);
	// nil is time.Now.
	Now func() time.Time
}

// Metrics is the server's metric registry. It implements the s3api Observer
// interface, and Handler exposes it to Prometheus.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler
	s3      *s3Metrics
	ring    *requestRing
}

// New builds the registry with the Go runtime and process collectors, the S3
// traffic metrics and, when opts.Store is set, the scrape-time usage and
// storage collectors.
func New(opts Options) *Metrics {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	s3 := newS3Metrics()
	reg.MustRegister(s3)
	if opts.Store != nil {
		reg.MustRegister(newUsageCollector(opts.Store, logger), newStorageCollector(opts.Store))
	}
	if opts.Lifecycle != nil {
		reg.MustRegister(newLifecycleCollector(opts.Lifecycle))
	}
	if opts.Cluster != nil {
		reg.MustRegister(newClusterCollector(opts.Cluster, logger))
	}
	m := &Metrics{reg: reg, s3: s3, ring: newRequestRing(opts.Now)}
	m.handler = requireBearer(opts.Token, promhttp.InstrumentMetricHandler(reg,
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog:      slogErrorLog{logger},
			ErrorHandling: promhttp.ContinueOnError,
			Registry:      reg,
		})))
	return m
}

// Handler serves the registry in the Prometheus exposition format, behind the
// bearer token check when a token is configured.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registry returns the registry so that the server can add its own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// S3Request records one finished S3 request: its API operation name, HTTP
// status, duration and payload bytes in both directions.
func (m *Metrics) S3Request(op string, status int, d time.Duration, bytesIn, bytesOut int64) {
	m.s3.request(op, status, d, bytesIn, bytesOut)
	m.ring.add(status)
}

// RequestHistory returns the S3 requests and errors of each of the last 60
// minutes, oldest first, ending with the current minute.
func (m *Metrics) RequestHistory() []MinuteCount { return m.ring.lastHour() }

// S3AuthFailure counts a request rejected by authentication, by reason.
func (m *Metrics) S3AuthFailure(reason string) { m.s3.authFailure(reason) }

// S3InFlight adds delta (+1 when a request starts, -1 when it ends) to the
// in-flight gauge.
func (m *Metrics) S3InFlight(delta int) { m.s3.inFlight.Add(float64(delta)) }

// slogErrorLog adapts slog to promhttp's Println logger.
type slogErrorLog struct{ l *slog.Logger }

func (s slogErrorLog) Println(v ...any) {
	msg := ""
	for i, x := range v {
		if i > 0 {
			msg += " "
		}
		if err, ok := x.(error); ok {
			msg += err.Error()
		} else if str, ok := x.(string); ok {
			msg += str
		}
	}
	s.l.Warn("metrics: scrape error", "error", msg)
}
