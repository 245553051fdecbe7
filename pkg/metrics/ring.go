package metrics

import (
	"sync"
	"time"
)

// ringMinutes is how many minutes of request counts RequestHistory keeps:
// the operator overview draws the last hour.
const ringMinutes = 60

// MinuteCount is the S3 requests that finished in one minute.
type MinuteCount struct {
	Start        time.Time `json:"start"` // the minute's first instant, UTC
	Requests     uint64    `json:"requests"`
	ClientErrors uint64    `json:"clientErrors"` // answered 4xx
	ServerErrors uint64    `json:"serverErrors"` // answered 5xx
}

// requestRing counts requests per minute in a fixed ring of ringMinutes
// slots: memory never grows with traffic or uptime. A slot holds the minute
// it counts, so a slot left from an hour ago reads as empty.
type requestRing struct {
	mu    sync.Mutex
	now   func() time.Time
	slots [ringMinutes]ringSlot
}

type ringSlot struct {
	minute int64 // Unix minute the counts belong to
	counts MinuteCount
}

func newRequestRing(now func() time.Time) *requestRing {
	if now == nil {
		now = time.Now
	}
	return &requestRing{now: now}
}

func unixMinute(t time.Time) int64 { return t.Unix() / 60 }

// slot is minute m's place in the ring (a clock before 1970 stays in range).
func (r *requestRing) slot(m int64) *ringSlot {
	return &r.slots[(m%ringMinutes+ringMinutes)%ringMinutes]
}

// add counts one finished request with its HTTP status.
func (r *requestRing) add(status int) {
	m := unixMinute(r.now())
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.slot(m)
	if s.minute != m {
		*s = ringSlot{minute: m}
	}
	s.counts.Requests++
	switch {
	case status >= 500:
		s.counts.ServerErrors++
	case status >= 400:
		s.counts.ClientErrors++
	}
}

// lastHour returns ringMinutes minutes, oldest first, ending with the
// current one; minutes without requests are zero.
func (r *requestRing) lastHour() []MinuteCount {
	cur := unixMinute(r.now())
	out := make([]MinuteCount, ringMinutes)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range out {
		m := cur - int64(ringMinutes-1-i)
		c := MinuteCount{}
		if s := r.slot(m); s.minute == m {
			c = s.counts
		}
		c.Start = time.Unix(m*60, 0).UTC()
		out[i] = c
	}
	return out
}
