package metrics

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestS3RequestCounters(t *testing.T) {
	m := New(Options{})
	m.S3Request("PutObject", 200, 250*time.Millisecond, 1000, 0)
	m.S3Request("PutObject", 200, 500*time.Millisecond, 24, 0)
	m.S3Request("PutObject", 403, 2*time.Second, 0, 250)
	m.S3Request("GetObject", 404, 0, 0, 0)
	m.S3Request("Weird", 42, 0, 0, 0)

	want := `
# HELP coffer_s3_requests_total S3 requests finished, by API operation and HTTP status code.
# TYPE coffer_s3_requests_total counter
coffer_s3_requests_total{code="404",operation="GetObject"} 1
coffer_s3_requests_total{code="200",operation="PutObject"} 2
coffer_s3_requests_total{code="403",operation="PutObject"} 1
coffer_s3_requests_total{code="unknown",operation="Weird"} 1
# HELP coffer_s3_received_bytes_total Payload bytes read from S3 request bodies, by API operation.
# TYPE coffer_s3_received_bytes_total counter
coffer_s3_received_bytes_total{operation="PutObject"} 1024
# HELP coffer_s3_sent_bytes_total Bytes written in S3 response bodies, by API operation.
# TYPE coffer_s3_sent_bytes_total counter
coffer_s3_sent_bytes_total{operation="PutObject"} 250
# HELP coffer_s3_request_duration_seconds Time from receiving an S3 request to finishing its response, by API operation.
# TYPE coffer_s3_request_duration_seconds histogram
` + histogram("GetObject", 1, 0, map[float64]int{}) + histogram("PutObject", 3, 2.75, map[float64]int{.1: 0, .25: 1, .5: 2, 1: 2}) +
		histogram("Weird", 1, 0, map[float64]int{})
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"coffer_s3_requests_total", "coffer_s3_received_bytes_total", "coffer_s3_sent_bytes_total",
		"coffer_s3_request_duration_seconds"); err != nil {
		t.Fatal(err)
	}
}

// histogram renders the expected exposition of one operation's duration
// histogram; below maps an upper bound to the cumulative count at it, for the
// bounds below the first one holding all count observations.
func histogram(op string, count int, sum float64, below map[float64]int) string {
	var b strings.Builder
	for _, le := range durationBuckets {
		n, ok := below[le]
		if !ok {
			n = count
			for bound, c := range below {
				if bound > le && c < n {
					n = c
				}
			}
		}
		fmt.Fprintf(&b, "coffer_s3_request_duration_seconds_bucket{operation=%q,le=\"%g\"} %d\n", op, le, n)
	}
	fmt.Fprintf(&b, "coffer_s3_request_duration_seconds_bucket{operation=%q,le=\"+Inf\"} %d\n", op, count)
	fmt.Fprintf(&b, "coffer_s3_request_duration_seconds_sum{operation=%q} %g\n", op, sum)
	fmt.Fprintf(&b, "coffer_s3_request_duration_seconds_count{operation=%q} %d\n", op, count)
	return b.String()
}

func TestS3InFlightAndAuthFailures(t *testing.T) {
	m := New(Options{})
	m.S3InFlight(1)
	m.S3InFlight(1)
	m.S3InFlight(1)
	m.S3InFlight(-1)
	if got := testutil.ToFloat64(m.s3.inFlight); got != 2 {
		t.Fatalf("in flight = %v, want 2", got)
	}
	m.S3AuthFailure("SignatureDoesNotMatch")
	m.S3AuthFailure("SignatureDoesNotMatch")
	m.S3AuthFailure("InvalidAccessKeyId")
	m.S3AuthFailure("bad\nreason{}")
	want := `
# HELP coffer_s3_auth_failures_total S3 requests rejected by authentication, by reason.
# TYPE coffer_s3_auth_failures_total counter
coffer_s3_auth_failures_total{reason="InvalidAccessKeyId"} 1
coffer_s3_auth_failures_total{reason="SignatureDoesNotMatch"} 2
coffer_s3_auth_failures_total{reason="other"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "coffer_s3_auth_failures_total"); err != nil {
		t.Fatal(err)
	}
}

func TestBoundedLabel(t *testing.T) {
	b := newBoundedLabel(2)
	tests := []struct{ in, want string }{
		{"PutObject", "PutObject"},
		{"GetObject", "GetObject"},
		{"PutObject", "PutObject"},
		{"HeadObject", "other"}, // third distinct value: over the limit
		{"", "other"},
		{strings.Repeat("a", maxLabelLen+1), "other"},
		{"Get\xffObject", "other"},
		{"GetObject", "GetObject"},
	}
	for _, tt := range tests {
		if got := b.value(tt.in); got != tt.want {
			t.Errorf("value(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestConcurrentObserveAndScrape: the observer is called from every S3
// request goroutine while Prometheus scrapes; counts must add up exactly
// (run with -race to check the locking).
func TestConcurrentObserveAndScrape(t *testing.T) {
	m := New(Options{})
	const workers, perWorker = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op := fmt.Sprintf("Op%d", w%4)
			for range perWorker {
				m.S3InFlight(1)
				m.S3Request(op, 200, time.Millisecond, 2, 3)
				m.S3AuthFailure("SignatureDoesNotMatch")
				m.S3InFlight(-1)
			}
		}()
	}
	for range 20 {
		if _, err := m.Registry().Gather(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for op := range 4 {
		name := fmt.Sprintf("Op%d", op)
		if got := testutil.ToFloat64(m.s3.requests.WithLabelValues(name, "200")); got != 2*perWorker {
			t.Errorf("%s requests = %v, want %d", name, got, 2*perWorker)
		}
		if got := testutil.ToFloat64(m.s3.received.WithLabelValues(name)); got != 2*2*perWorker {
			t.Errorf("%s received = %v, want %d", name, got, 4*perWorker)
		}
	}
	if got := testutil.ToFloat64(m.s3.authFailures.WithLabelValues("SignatureDoesNotMatch")); got != workers*perWorker {
		t.Errorf("auth failures = %v, want %d", got, workers*perWorker)
	}
	if got := testutil.ToFloat64(m.s3.inFlight); got != 0 {
		t.Errorf("in flight = %v after all requests ended", got)
	}
}
