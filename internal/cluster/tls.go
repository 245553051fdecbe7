package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TLSFiles are the PEM files of the etcd client's TLS (an external etcd
// whose client port serves https): CA verifies the etcd servers (empty:
// the system's roots), Cert and Key are this node's client certificate
// for etcd's --client-cert-auth (both or neither).
type TLSFiles struct {
	CA, Cert, Key string
}

func (f TLSFiles) empty() bool { return f == TLSFiles{} }

// clientTLS is the etcd client's TLS configuration: nil for plain http
// endpoints without TLS files. https endpoints get TLS even without files
// (verified against the system's roots); TLS files with http endpoints, or
// a certificate without its key, are refused, so a typo cannot quietly
// send credentials in clear.
func clientTLS(endpoints []string, f TLSFiles) (*tls.Config, error) {
	https, plain := false, false
	for _, e := range endpoints {
		if strings.HasPrefix(e, "https://") {
			https = true
		} else {
			plain = true
		}
	}
	if f.empty() && !https {
		return nil, nil
	}
	if https && plain {
		return nil, errors.New("cluster: --cluster-etcd mixes https:// and plain endpoints")
	}
	if !https {
		return nil, errors.New("cluster: etcd TLS files need https:// etcd endpoints")
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("cluster: --cluster-etcd-cert and --cluster-etcd-key go together")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("cluster: etcd CA: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cluster: etcd CA %s holds no PEM certificate", f.CA)
		}
	}
	if f.Cert != "" {
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("cluster: etcd client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
