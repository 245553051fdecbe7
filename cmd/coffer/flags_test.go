package main

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false},
		{"123", 123, false},
		{"123B", 123, false},
		{"500MB", 500_000_000, false},
		{"500mb", 500_000_000, false},
		{"10GiB", 10 << 30, false},
		{"10 GiB", 10 << 30, false},
		{"2T", 2 << 40, false},
		{"1.5KiB", 1536, false},
		{"1KB", 1000, false},
		{"0.5B", 0, true},
		{"", 0, true},
		{"GiB", 0, true},
		{"12XB", 0, true},
		{"-5", 0, true},
		{"1.2.3", 0, true},
		{"99999999PiB", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	tests := map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB",
		10 << 30: "10 GiB", 100 << 30: "100 GiB", 5 << 50: "5 PiB"}
	for n, want := range tests {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestServerFlagsFromArgsAndEnv(t *testing.T) {
	t.Setenv("COFFER_S3_ADDRESS", "127.0.0.1:7000")
	t.Setenv("COFFER_DOMAIN", "s3.example.com, s3.local")
	t.Setenv("COFFER_DRIVE", "/env/d1,/env/d2")
	t.Setenv("COFFER_SCRUB_INTERVAL", "90m")
	t.Setenv("COFFER_ADMIN_PASSWORD", "from-env")
	cfg, err := serverFlags([]string{"--data", "/srv/coffer", "--parity", "1",
		"--drive", "/mnt/a", "--drive", "/mnt/b,/mnt/c", "--console-address", ":9101",
		"--log-format", "json", "--public-endpoint", "https://s3.example.com"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/srv/coffer" || cfg.Parity != 1 || cfg.ConsoleAddress != ":9101" ||
		cfg.S3Address != "127.0.0.1:7000" || cfg.LogFormat != "json" || cfg.ScrubInterval != 90*time.Minute ||
		cfg.PublicEndpoint != "https://s3.example.com" || cfg.AdminPassword != "from-env" {
		t.Fatalf("config %+v", cfg)
	}
	// The command line replaces the environment's list; a comma list splits.
	if want := []string{"/mnt/a", "/mnt/b", "/mnt/c"}; !reflect.DeepEqual(cfg.Drives, want) {
		t.Errorf("drives %v, want %v", cfg.Drives, want)
	}
	if want := []string{"s3.example.com", "s3.local"}; !reflect.DeepEqual(cfg.Domains, want) {
		t.Errorf("domains %v, want %v", cfg.Domains, want)
	}
}

// TestServerFlagsTenantLimits: the per-tenant defaults come from the flags
// or the environment; 0 there means no limit (negative in server.Config).
func TestServerFlagsTenantLimits(t *testing.T) {
	cfg, err := serverFlags(nil, &bytes.Buffer{})
	if err != nil || cfg.MaxBuckets != 1000 || cfg.MaxUploads != 1000 {
		t.Fatalf("defaults: buckets %d, uploads %d, %v", cfg.MaxBuckets, cfg.MaxUploads, err)
	}
	t.Setenv("COFFER_MAX_BUCKETS", "50")
	cfg, err = serverFlags([]string{"--max-uploads", "0"}, &bytes.Buffer{})
	if err != nil || cfg.MaxBuckets != 50 || cfg.MaxUploads >= 0 {
		t.Fatalf("env 50, flag 0: buckets %d, uploads %d, %v", cfg.MaxBuckets, cfg.MaxUploads, err)
	}
	var ue *usageError
	if _, err := serverFlags([]string{"--max-buckets", "-1"}, &bytes.Buffer{}); !errors.As(err, &ue) {
		t.Fatalf("negative --max-buckets: %v", err)
	}
}

func TestServerFlagsErrors(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--nope"}, nil, "flag provided but not defined"},
		{[]string{"--drives", "x"}, nil, "invalid value"},
		{nil, map[string]string{"COFFER_DRIVES": "many"}, "COFFER_DRIVES"},
		{[]string{"--drives", "3", "--drive", "/a", "--drive", "/b"}, nil, "does not match"},
		{[]string{"stray"}, nil, "usage"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := serverFlags(tt.args, &bytes.Buffer{})
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serverFlags(%q): %v, want a usage error containing %q", tt.args, err, tt.want)
			}
			if exitCode(err, &bytes.Buffer{}) != 2 {
				t.Errorf("usage errors must exit 2")
			}
		})
	}
}

func TestServerHelpDocumentsEveryFlagAndEnv(t *testing.T) {
	var out bytes.Buffer
	_, err := serverFlags([]string{"--help"}, &out)
	if !errors.Is(err, errHelpShown) || exitCode(err, &bytes.Buffer{}) != 0 {
		t.Fatalf("--help: %v", err)
	}
	for _, flag := range []string{"data", "drives", "parity", "drive", "s3-address", "console-address",
		"domain", "public-endpoint", "tls-cert", "tls-key", "master-key-file", "metrics-token",
		"log-format", "log-level", "pprof", "scrub-interval", "max-buckets", "max-uploads"} {
		if !strings.Contains(out.String(), "--"+flag+" ") && !strings.Contains(out.String(), "--"+flag+"\n") {
			t.Errorf("help lacks --%s", flag)
		}
		if !strings.Contains(out.String(), "env "+envName(flag)) {
			t.Errorf("help lacks env %s", envName(flag))
		}
	}
	if !strings.Contains(out.String(), "COFFER_ADMIN_PASSWORD") {
		t.Error("help lacks COFFER_ADMIN_PASSWORD")
	}
}

func TestFlagsAfterPositionals(t *testing.T) {
	c := newCommand("coffer admin tenant create NAME", "", &bytes.Buffer{})
	objects := c.fs.Int64("quota-objects", 0, "")
	var size sizeFlag
	c.fs.Var(&size, "quota-bytes", "")
	args, err := c.parse([]string{"acme", "--quota-objects", "7", "--quota-bytes=10GiB"}, 1)
	if err != nil || !reflect.DeepEqual(args, []string{"acme"}) || *objects != 7 || size.bytes != 10<<30 {
		t.Fatalf("args %v objects %d bytes %d err %v", args, *objects, size.bytes, err)
	}
	if _, err := c.parse([]string{"a", "b"}, 1); err == nil {
		t.Fatal("two positionals accepted where one is wanted")
	}
}

func TestRunTopLevel(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"version"}, &out, &errb); err != nil || !strings.HasPrefix(out.String(), "coffer ") {
		t.Fatalf("version: %q %v", out.String(), err)
	}
	err := run(t.Context(), []string{"frobnicate"}, &out, &errb)
	if exitCode(err, &errb) != 2 || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %v, stderr %q", err, errb.String())
	}
	if err := run(t.Context(), nil, &out, &errb); exitCode(err, &errb) != 2 {
		t.Fatalf("no command: %v", err)
	}
}

// TestSigV2Flag: SigV2 is on by default; --sigv2=false or COFFER_SIGV2=false
// turns it off, the command line winning over the environment.
func TestSigV2Flag(t *testing.T) {
	for _, c := range []struct {
		env      string
		args     []string
		disabled bool
	}{
		{"", nil, false},
		{"", []string{"--sigv2=false"}, true},
		{"false", nil, true},
		{"false", []string{"--sigv2=true"}, false},
		{"true", []string{"--sigv2=false"}, true},
	} {
		t.Setenv("COFFER_SIGV2", c.env)
		cfg, err := serverFlags(c.args, &bytes.Buffer{})
		if err != nil || cfg.DisableSigV2 != c.disabled {
			t.Errorf("env %q args %q: disabled %v, %v", c.env, c.args, cfg.DisableSigV2, err)
		}
	}
	t.Setenv("COFFER_SIGV2", "maybe")
	var ue *usageError
	if _, err := serverFlags(nil, &bytes.Buffer{}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "COFFER_SIGV2") {
		t.Errorf("COFFER_SIGV2=maybe: %v", err)
	}
}
