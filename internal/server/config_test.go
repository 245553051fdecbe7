package server

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/testutil"
)

// TestRegionStatedOnce: testutil cannot import auth (auth's own tests use
// testutil), so its copy of the region is checked against the one rule here.
func TestRegionStatedOnce(t *testing.T) {
	if Region != auth.DefaultRegion || testutil.Region != auth.DefaultRegion {
		t.Fatalf("server.Region %q and testutil.Region %q must equal auth.DefaultRegion %q", Region, testutil.Region, auth.DefaultRegion)
	}
}

func TestConfigDefaultsAndChecks(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"defaults", Config{}, ""},
		{"explicit drives", Config{Drives: []string{"a", "b", "c"}, Parity: 1}, ""},
		{"one drive", Config{DriveCount: 1}, "need 2 to 16 drives"},
		{"seventeen drives", Config{DriveCount: 17}, "need 2 to 16 drives"},
		{"parity too high", Config{DriveCount: 4, Parity: 4}, "parity 4"},
		{"negative parity", Config{DriveCount: 4, Parity: -1}, "parity -1"},
		// storage.CheckLayout's rule: parity is at most half the drives.
		{"parity above half", Config{DriveCount: 4, Parity: 3}, "parity 3 out of range 1..2"},
		{"parity half of five", Config{DriveCount: 5, Parity: 2}, ""},
		{"parity above half of five", Config{DriveCount: 5, Parity: 3}, "parity 3"},
		{"count and list disagree", Config{Drives: []string{"a", "b"}, DriveCount: 3}, "2 drives given"},
		{"cert without key", Config{TLSCert: "c.pem"}, "both a certificate and a key"},
		{"public endpoint without scheme", Config{PublicEndpoint: "s3.example.com"}, "must start with http"},
		{"pprof on all interfaces", Config{PprofAddress: ":6060"}, "loopback"},
		{"pprof on a public address", Config{PprofAddress: "192.0.2.1:6060"}, "loopback"},
		{"pprof on loopback", Config{PprofAddress: "127.0.0.1:6060"}, ""},
		{"pprof on localhost", Config{PprofAddress: "localhost:0"}, ""},
		{"bad log level", Config{LogLevel: "loud"}, "log level"},
		{"bad log format", Config{LogFormat: "xml"}, "log format"},
		{"usage samples rarer than hourly", Config{UsageSampleInterval: 2 * time.Hour}, "at most 1h0m0s"},
		{"usage samples under a second", Config{UsageSampleInterval: time.Millisecond}, "at least 1s"},
		{"usage samples every second", Config{UsageSampleInterval: time.Second}, ""},
		{"usage sampler off", Config{UsageSampleInterval: -1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.withDefaults()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got.Logger == nil || got.S3Address == "" || got.ConsoleAddress == "" || got.DataDir == "" {
					t.Fatalf("defaults not filled: %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPublicEndpointTrimmed(t *testing.T) {
	got, err := Config{PublicEndpoint: "https://s3.example.com/"}.withDefaults()
	if err != nil || got.PublicEndpoint != "https://s3.example.com" {
		t.Fatalf("got %q, %v", got.PublicEndpoint, err)
	}
}

func TestListenerURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9000}, "http://127.0.0.1:9000"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 9000}, "http://127.0.0.1:9000"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 80}, "http://127.0.0.1:80"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9443}, "http://[::1]:9443"},
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}, "http://192.0.2.7:1"},
	}
	for _, tt := range tests {
		if got := listenerURL("http", tt.addr); got != tt.want {
			t.Errorf("listenerURL(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestRandomPassword(t *testing.T) {
	a, b := randomPassword(), randomPassword()
	if len(a) < 20 || a == b {
		t.Fatalf("weak or repeated passwords: %q %q", a, b)
	}
}

// TestClusterConfigChecks: cluster mode needs a node name and a drive
// protocol address; embedded etcd needs its members, whose count is the
// default of --cluster-nodes; external etcd needs --cluster-nodes. The set
// spans every node, so one node's drive count is not checked against
// parity here.
func TestClusterConfigChecks(t *testing.T) {
	base := func() Config {
		return Config{ClusterEtcd: []string{"embedded"}, ClusterNode: "n1", ClusterListen: "127.0.0.1:0",
			ClusterEtcdMembers: "n1=http://127.0.0.1:1,n2=http://127.0.0.1:2,n3=http://127.0.0.1:3", DriveCount: 2, Parity: 2}
	}
	c, err := base().withDefaults()
	if err != nil || c.ClusterNodes != 3 {
		t.Fatalf("embedded: %v, cluster nodes %d (want 3, the members)", err, c.ClusterNodes)
	}
	for _, tc := range []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"no node name", func(c *Config) { c.ClusterNode = "" }, "--cluster-node"},
		{"no drive listener", func(c *Config) { c.ClusterListen = "" }, "--cluster-listen"},
		{"embedded without members", func(c *Config) { c.ClusterEtcdMembers = "" }, "--cluster-etcd-members"},
		{"external without node count", func(c *Config) { c.ClusterEtcd = []string{"http://127.0.0.1:2379"} }, "--cluster-nodes"},
		{"advertise not a URL", func(c *Config) { c.ClusterAdvertise = "10.0.0.1:9100" }, "--cluster-advertise"},
	} {
		cfg := base()
		tc.edit(&cfg)
		if _, err := cfg.withDefaults(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.wantErr)
		}
	}
}
