package console_test

import (
	"net/http"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

// BenchmarkSessionRequest measures one authenticated tenant API call over
// loopback (session lookup in bbolt + storage listing).
func BenchmarkSessionRequest(b *testing.B) {
	e := newEnv(b)
	c := e.tenant("bench", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "bench-box"}).want(http.StatusCreated)
	b.ResetTimer()
	for b.Loop() {
		c.do("GET", "/api/containers", nil).want(http.StatusOK)
	}
}

// BenchmarkBasicAuthRequest measures one operator CLI call: HTTP Basic costs
// a bcrypt comparison per request.
func BenchmarkBasicAuthRequest(b *testing.B) {
	e := newEnv(b)
	op := e.operatorBasic()
	b.ResetTimer()
	for b.Loop() {
		op.do("GET", "/api/admin/tenants", nil).want(http.StatusOK)
	}
}
