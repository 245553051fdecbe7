package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// unsignedPayload is the x-amz-content-sha256 value that leaves the body out
// of the signature, so the generator never hashes what it sends.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// client sends SigV4-signed path-style S3 requests over plain HTTP with
// reused keep-alive connections. It is safe for concurrent use.
type client struct {
	hc *http.Client
	// endpoints are scheme://host:port, no trailing slash: one server, or
	// the nodes of a cluster, which requests take in turn.
	endpoints []string
	next      atomic.Uint64
	creds     aws.Credentials
	signer    *v4.Signer
	region    string
}

// newClient returns a client for endpoint (a comma list: a cluster's nodes,
// used round robin) with room for conns idle connections.
func newClient(endpoint, accessKey, secretKey, region string, conns int) *client {
	var endpoints []string
	for _, e := range strings.Split(endpoint, ",") {
		endpoints = append(endpoints, strings.TrimRight(strings.TrimSpace(e), "/"))
	}
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}
	return &client{
		hc:        &http.Client{Transport: tr},
		endpoints: endpoints,
		creds:     aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey},
		signer: v4.NewSigner(func(o *v4.SignerOptions) {
			o.DisableURIPathEscaping = true // as the S3 client signs
		}),
		region: region,
	}
}

// endpoint is the server the next request goes to.
func (c *client) endpoint() string {
	return c.endpoints[int(c.next.Add(1)%uint64(len(c.endpoints)))]
}

// do signs and sends one request; body may be nil. A response outside 2xx is
// returned as an error (with the body drained and closed).
func (c *client) do(ctx context.Context, method, bucket, key string, query url.Values, body []byte) (*http.Response, error) {
	endpoint := c.endpoint()
	u := endpoint + "/" + bucket
	if key != "" {
		u += "/" + key
	}
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body == nil && (method == http.MethodPut || method == http.MethodPost) {
		req.ContentLength = 0
	}
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	if err := c.signer.SignHTTP(ctx, c.creds, req, unsignedPayload, "s3", c.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_, _ = io.Copy(io.Discard, resp.Body) // drained for connection reuse; the error is already in hand
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, strings.TrimPrefix(u, endpoint), resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return resp, nil
}

// finish drains and closes a successful response and returns the body length.
func finish(resp *http.Response, buf []byte) (int64, error) {
	defer resp.Body.Close()
	var n int64
	for {
		m, err := resp.Body.Read(buf)
		n += int64(m)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// createBucket makes bucket (an existing bucket of ours is fine).
func (c *client) createBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, http.MethodPut, bucket, "", nil, nil)
	if err != nil {
		if strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
			return nil
		}
		return err
	}
	_, err = finish(resp, make([]byte, 512))
	return err
}

// put uploads body as bucket/key.
func (c *client) put(ctx context.Context, bucket, key string, body, buf []byte) error {
	resp, err := c.do(ctx, http.MethodPut, bucket, key, nil, body)
	if err != nil {
		return err
	}
	_, err = finish(resp, buf)
	return err
}

// get downloads bucket/key into buf chunk by chunk and checks its length.
func (c *client) get(ctx context.Context, bucket, key string, want int64, buf []byte) (int64, error) {
	resp, err := c.do(ctx, http.MethodGet, bucket, key, nil, nil)
	if err != nil {
		return 0, err
	}
	n, err := finish(resp, buf)
	if err == nil && n != want {
		err = fmt.Errorf("GET %s/%s: %d bytes, want %d", bucket, key, n, want)
	}
	return n, err
}

// stat HEADs bucket/key and checks its Content-Length.
func (c *client) stat(ctx context.Context, bucket, key string, want int64, buf []byte) error {
	resp, err := c.do(ctx, http.MethodHead, bucket, key, nil, nil)
	if err != nil {
		return err
	}
	if resp.ContentLength != want {
		err = fmt.Errorf("HEAD %s/%s: Content-Length %d, want %d", bucket, key, resp.ContentLength, want)
	}
	_, _ = finish(resp, buf) // a HEAD has no body to check
	return err
}

// del deletes bucket/key.
func (c *client) del(ctx context.Context, bucket, key string, buf []byte) error {
	resp, err := c.do(ctx, http.MethodDelete, bucket, key, nil, nil)
	if err != nil {
		return err
	}
	_, err = finish(resp, buf)
	return err
}

// listPage fetches one ListObjectsV2 page of up to 1000 keys after token and
// returns how many keys it held and the next token ("" on the last page).
// It scans the XML for the two elements it needs instead of decoding it.
func (c *client) listPage(ctx context.Context, bucket, token string, page *bytes.Buffer) (keys int, next string, err error) {
	q := url.Values{"list-type": {"2"}, "max-keys": {"1000"}}
	if token != "" {
		q.Set("continuation-token", token)
	}
	resp, err := c.do(ctx, http.MethodGet, bucket, "", q, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	page.Reset()
	if _, err := page.ReadFrom(resp.Body); err != nil {
		return 0, "", err
	}
	b := page.Bytes()
	keys = bytes.Count(b, []byte("<Key>"))
	if bytes.Contains(b, []byte("<IsTruncated>true</IsTruncated>")) {
		const open, closing = "<NextContinuationToken>", "</NextContinuationToken>"
		i := bytes.Index(b, []byte(open))
		j := bytes.Index(b, []byte(closing))
		if i < 0 || j < i {
			return keys, "", fmt.Errorf("list %s: truncated page without NextContinuationToken", bucket)
		}
		next = html.UnescapeString(string(b[i+len(open) : j]))
	}
	return keys, next, nil
}
