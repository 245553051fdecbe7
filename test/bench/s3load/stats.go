package main

import (
	"slices"
	"time"
)

// Latency holds percentiles of operation latency in milliseconds.
type Latency struct {
	P50 float64 `json:"p50ms"`
	P90 float64 `json:"p90ms"`
	P99 float64 `json:"p99ms"`
	Max float64 `json:"maxms"`
}

// latencyOf sorts d in place and returns its percentiles (nearest rank).
func latencyOf(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		i := int(p*float64(len(d))+0.5) - 1
		i = max(0, min(i, len(d)-1))
		return float64(d[i]) / float64(time.Millisecond)
	}
	return Latency{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: float64(d[len(d)-1]) / float64(time.Millisecond)}
}
