package metrics

import (
	"sync"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/testutil"
)

// TestRequestHistoryPerMinute feeds requests through S3Request, as s3api
// does, over several minutes of an injected clock, and checks the counts
// land in their minutes, errors split into 4xx and 5xx, and minutes older
// than the hour fall out of the ring.
func TestRequestHistoryPerMinute(t *testing.T) {
	start := time.Date(2026, 11, 27, 12, 0, 30, 0, time.UTC)
	clk := testutil.NewClock(start)
	m := New(Options{Now: clk.Now})

	for _, st := range []int{200, 200, 204, 404, 403, 500, 503} {
		m.S3Request("GetObject", st, time.Millisecond, 0, 0)
	}
	clk.Advance(2 * time.Minute) // 12:02:30
	m.S3Request("PutObject", 200, time.Millisecond, 10, 0)
	m.S3Request("PutObject", 507, time.Millisecond, 10, 0)

	h := m.RequestHistory()
	if len(h) != 60 {
		t.Fatalf("history has %d minutes, want 60", len(h))
	}
	last, first := h[59], h[57]
	if !last.Start.Equal(time.Date(2026, 11, 27, 12, 2, 0, 0, time.UTC)) || !first.Start.Equal(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("minute starts %v .. %v", first.Start, last.Start)
	}
	if first.Requests != 7 || first.ClientErrors != 2 || first.ServerErrors != 2 {
		t.Fatalf("12:00 = %+v, want 7 requests, 2 4xx, 2 5xx", first)
	}
	if h[58].Requests != 0 {
		t.Fatalf("12:01 = %+v, want empty", h[58])
	}
	if last.Requests != 2 || last.ClientErrors != 0 || last.ServerErrors != 1 {
		t.Fatalf("12:02 = %+v, want 2 requests, 1 5xx", last)
	}
	for i := 1; i < len(h); i++ {
		if h[i].Start.Sub(h[i-1].Start) != time.Minute {
			t.Fatalf("minutes %d and %d are not consecutive: %v %v", i-1, i, h[i-1].Start, h[i].Start)
		}
	}

	// 59 minutes on, 12:00 is the oldest minute shown and still counted;
	// one more minute and it is gone, though its slot is reused only now.
	clk.Advance(57 * time.Minute) // 12:59:30
	if h := m.RequestHistory(); h[0].Requests != 7 {
		t.Fatalf("at 12:59 the oldest minute = %+v, want 12:00's 7 requests", h[0])
	}
	clk.Advance(time.Minute) // 13:00:30: slot of 12:00 holds an old minute
	h = m.RequestHistory()
	var total uint64
	for _, c := range h {
		total += c.Requests
	}
	if total != 2 {
		t.Fatalf("at 13:00 the hour holds %d requests, want 2 (12:02's)", total)
	}
	m.S3Request("GetObject", 200, 0, 0, 0)
	if h := m.RequestHistory(); h[59].Requests != 1 || h[59].ServerErrors != 0 {
		t.Fatalf("13:00 = %+v, want 1 request: the reused slot must start from zero", h[59])
	}
}

// TestRequestHistoryConcurrent counts requests from many goroutines.
func TestRequestHistoryConcurrent(t *testing.T) {
	clk := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m := New(Options{Now: clk.Now})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 250 {
				m.S3Request("HeadObject", 404, 0, 0, 0)
			}
		})
	}
	wg.Wait()
	if c := m.RequestHistory()[59]; c.Requests != 2000 || c.ClientErrors != 2000 {
		t.Fatalf("current minute = %+v, want 2000 requests, all 4xx", c)
	}
}
