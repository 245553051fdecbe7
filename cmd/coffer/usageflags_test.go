package main

import (
	"bytes"
	"testing"
	"time"
)

// TestServerFlagsUsageSampleInterval: --usage-sample-interval defaults to
// an hour and comes from COFFER_USAGE_SAMPLE_INTERVAL or the flag.
func TestServerFlagsUsageSampleInterval(t *testing.T) {
	cfg, err := serverFlags(nil, &bytes.Buffer{})
	if err != nil || cfg.UsageSampleInterval != time.Hour {
		t.Fatalf("default: %v, %v", cfg.UsageSampleInterval, err)
	}
	t.Setenv("COFFER_USAGE_SAMPLE_INTERVAL", "5m")
	if cfg, err = serverFlags(nil, &bytes.Buffer{}); err != nil || cfg.UsageSampleInterval != 5*time.Minute {
		t.Fatalf("env 5m: %v, %v", cfg.UsageSampleInterval, err)
	}
	if cfg, err = serverFlags([]string{"--usage-sample-interval", "-1s"}, &bytes.Buffer{}); err != nil || cfg.UsageSampleInterval != -time.Second {
		t.Fatalf("flag -1s: %v, %v", cfg.UsageSampleInterval, err)
	}
}
