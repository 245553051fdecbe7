package s3api

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// errVirtualHostUnderIP answers a virtual-hosted-style request sent to an
// IP address ("bucket.127.0.0.1"): no domain can name its bucket, and
// reading it as path style would take the key for a bucket name.
var errVirtualHostUnderIP = errorf("InvalidRequest", http.StatusBadRequest,
	"Virtual-hosted-style requests need a DNS name: the Host header names a bucket under an IP address. "+
		"Use path-style addressing, or address the server by the domain it serves (--domain or --public-endpoint).")

// localhostDomain is always a virtual-hosted-style domain: names under
// "localhost" resolve to the loopback address (RFC 6761), so
// "bucket.localhost" is what SDKs send for an endpoint of http://localhost.
const localhostDomain = "localhost"

// addressingDomains is the list of base domains a Host header may name a
// bucket under: the configured ones, or, when there are none, the host
// name of the public endpoint (an IP address names no domain); and
// localhost. A Host equal to a domain is path style.
func addressingDomains(configured []string, publicEndpoint string) []string {
	var out []string
	add := func(d string) {
		d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
		if d != "" && net.ParseIP(d) == nil && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	for _, d := range configured {
		add(d)
	}
	if len(out) == 0 && publicEndpoint != "" {
		if u, err := url.Parse(publicEndpoint); err == nil {
			add(u.Hostname())
		}
	}
	add(localhostDomain)
	return out
}

// VirtualHostDomain is the domain tenants address buckets under in
// virtual-hosted style ("bucket.DOMAIN"), by the rule the router uses: the
// first --domain, else the public endpoint's host name; "" when there is
// none (path style only; localhost is left out, it serves this machine).
func VirtualHostDomain(configured []string, publicEndpoint string) string {
	for _, d := range addressingDomains(configured, publicEndpoint) {
		if d != localhostDomain {
			return d
		}
	}
	return ""
}

// virtualHostUnderIP refuses a (lower-case, port-less) host made of
// labels in front of an IPv4 address ("bucket.10.0.0.5"); any other host
// under no domain is path style. (An IPv6 host is bracketed and cannot
// carry labels.)
func virtualHostUnderIP(host string) error {
	i := len(host)
	for range 4 { // the last four labels
		if i = strings.LastIndexByte(host[:i], '.'); i <= 0 {
			return nil
		}
	}
	if ip := net.ParseIP(host[i+1:]); ip != nil && ip.To4() != nil {
		return errVirtualHostUnderIP
	}
	return nil
}
