package testutil

import (
	"io"
	"net/http"
	"testing"
)

// Get sends GET url with c, with an Authorization header when authorization
// is not empty, and returns the status and the whole body. A transport or
// read error fails the test.
func Get(t testing.TB, c *http.Client, url, authorization string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end just below
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, body
}
