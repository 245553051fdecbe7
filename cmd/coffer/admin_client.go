package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// adminClient calls the admin JSON API of a running server as the operator:
// with the operator API token when given, else HTTP Basic with the password.
type adminClient struct {
	base  string
	creds adminCredentials
	http  *http.Client
}

// adminCredentials is how the CLI proves it is the operator. The token is
// preferred: logins failed by others never delay it.
type adminCredentials struct {
	token    string
	password string
}

func newAdminClient(server string, creds adminCredentials, caCert string) (*adminClient, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q must be a URL like http://127.0.0.1:9001", server)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			return nil, fmt.Errorf("CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA certificate %s: no PEM certificate found", caCert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &adminClient{
		base:  strings.TrimRight(server, "/"),
		creds: creds,
		http:  &http.Client{Transport: tr, Timeout: 5 * time.Minute},
	}, nil
}

// apiError is a non-2xx answer of the admin API.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
}

// do sends in as JSON (when not nil) and returns the raw response body.
func (c *adminClient) do(ctx context.Context, method, path string, in any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.creds.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.creds.token)
	} else {
		req.SetBasicAuth("admin", c.creds.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server at %s: %w", c.base, unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }() // read to the end or abandoned: nothing to report
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the server's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(out))
		if json.Unmarshal(out, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		msg = safe(msg) // it may quote names stored by others
		if resp.StatusCode == http.StatusTooManyRequests && c.creds.token == "" {
			msg += "; the operator API token (--token-file DIR/operator.token) is never throttled"
		}
		if resp.StatusCode == http.StatusUnauthorized && c.creds.token == "" && c.creds.password == "" {
			msg += "; give the operator API token with --token-file DIR/operator.token (or COFFER_ADMIN_TOKEN), or the password with --password"
		}
		return nil, &apiError{Status: resp.StatusCode, Message: msg}
	}
	return out, nil
}

// call is do plus decoding of a JSON answer into out (when not nil).
func (c *adminClient) call(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	raw, err := c.do(ctx, method, path, in)
	if err != nil || out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return raw, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return raw, fmt.Errorf("unexpected answer from the server: %w", err)
	}
	return raw, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// esc escapes one path segment.
func esc(s string) string { return url.PathEscape(s) }
