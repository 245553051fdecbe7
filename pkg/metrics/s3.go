package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Bounds on caller-supplied label values (see boundedLabel).
const (
	maxOperations  = 128 // S3 has about 100 API operations
	maxAuthReasons = 32
)

// durationBuckets span a small metadata call (1 ms) to a large upload (5 min).
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// s3Metrics are the S3 traffic metrics, fed by the s3api Observer calls.
type s3Metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	received     *prometheus.CounterVec
	sent         *prometheus.CounterVec
	inFlight     prometheus.Gauge
	authFailures *prometheus.CounterVec

	operations *boundedLabel
	reasons    *boundedLabel
}

func newS3Metrics() *s3Metrics {
	return &s3Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "s3", Name: "requests_total",
			Help: "S3 requests finished, by API operation and HTTP status code.",
		}, []string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "s3", Name: "request_duration_seconds",
			Help:    "Time from receiving an S3 request to finishing its response, by API operation.",
			Buckets: durationBuckets,
		}, []string{"operation"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "s3", Name: "received_bytes_total",
			Help: "Payload bytes read from S3 request bodies, by API operation.",
		}, []string{"operation"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "s3", Name: "sent_bytes_total",
			Help: "Bytes written in S3 response bodies, by API operation.",
		}, []string{"operation"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "s3", Name: "requests_in_flight",
			Help: "S3 requests currently being served.",
		}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "s3", Name: "auth_failures_total",
			Help: "S3 requests rejected by authentication, by reason.",
		}, []string{"reason"}),
		operations: newBoundedLabel(maxOperations),
		reasons:    newBoundedLabel(maxAuthReasons),
	}
}

func (s *s3Metrics) request(op string, status int, d time.Duration, bytesIn, bytesOut int64) {
	op = s.operations.value(op)
	s.requests.WithLabelValues(op, statusCode(status)).Inc()
	s.duration.WithLabelValues(op).Observe(d.Seconds())
	if bytesIn > 0 {
		s.received.WithLabelValues(op).Add(float64(bytesIn))
	}
	if bytesOut > 0 {
		s.sent.WithLabelValues(op).Add(float64(bytesOut))
	}
}

func (s *s3Metrics) authFailure(reason string) {
	s.authFailures.WithLabelValues(s.reasons.value(reason)).Inc()
}

// statusCode renders an HTTP status as a label value; anything outside
// 100..599 (a handler bug) becomes "unknown" to keep the label bounded.
func statusCode(status int) string {
	if status < 100 || status > 599 {
		return "unknown"
	}
	return strconv.Itoa(status)
}

// Describe implements prometheus.Collector.
func (s *s3Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range s.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (s *s3Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range s.collectors() {
		c.Collect(ch)
	}
}

// collectors are the S3 traffic metrics in exposition order.
func (s *s3Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.requests, s.duration, s.received, s.sent, s.inFlight, s.authFailures}
}
