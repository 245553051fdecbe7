package console_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

// fuzzRoutes are the API routes whose bodies, path segments and queries come
// from the fuzzer; "{}" is replaced by the fuzzed path segment.
var fuzzRoutes = []struct {
	method, path string
	tenant       bool // sent with the tenant's session, else the operator's
}{
	{"POST", "/api/login", false},
	{"POST", "/api/containers", true},
	{"DELETE", "/api/containers/{}", true},
	{"POST", "/api/admin/tenants", false},
	{"PUT", "/api/admin/tenants/{}/quota", false},
	{"POST", "/api/admin/tenants/{}/users", false},
	{"PUT", "/api/admin/tenants/{}/users/{}/password", false},
	{"POST", "/api/admin/tenants/{}/volumes", false},
	{"DELETE", "/api/admin/tenants/{}", false},
	{"GET", "/api/admin/audit", false},
	{"POST", "/api/credentials", true},
	{"GET", "/api/admin/tenants/{}", false},
	{"GET", "/api/containers/{}/uploads", true},
	{"DELETE", "/api/containers/{}/uploads", true},
	{"PUT", "/api/containers/{}/versioning", true},
	{"GET", "/api/containers/{}/objects", true},
	{"POST", "/api/containers/{}/objects/delete", true},
	{"POST", "/api/containers/{}/folders", true},
	{"GET", "/api/containers/{}/object", true},
	{"PUT", "/api/containers/{}/object", true},
	{"DELETE", "/api/containers/{}/object", true},
	{"GET", "/api/containers/{}/object/info", true},
	{"GET", "/api/containers/{}/object/versions", true},
	{"POST", "/api/containers/{}/object/share", true},
	{"POST", "/api/containers/{}/uploads", true},
	{"PUT", "/api/containers/photos/uploads/{}/parts/1", true},
	{"POST", "/api/containers/photos/uploads/{}/complete", true},
	{"PUT", "/api/containers/photos/uploads/x/parts/{}", true},
	{"POST", "/api/containers/{}/object/restore", true},
	{"GET", "/api/containers/{}/lifecycle", true},
	{"PUT", "/api/containers/{}/lifecycle", true},
	{"GET", "/api/containers/{}/policy", true},
	{"PUT", "/api/containers/{}/policy", true},
	{"DELETE", "/api/containers/{}/policy", true},
	{"PUT", "/api/me/password", true},
	{"GET", "/api/me/sessions", true},
}

// FuzzAPIRequests sends arbitrary bodies, path segments and query strings to
// the JSON API as a logged-in tenant or operator. Whatever arrives, the answer
// is never a 500, an error is always {"error": ...}, and nothing is cacheable.
// Seeds live in testdata/fuzz/FuzzAPIRequests; run with -fuzz=FuzzAPIRequests.
func FuzzAPIRequests(f *testing.F) {
	f.Add(uint8(1), "photos", "", []byte(`{"name":"photos"}`))
	f.Add(uint8(2), "photos", "force=true&confirm=photos", []byte(nil))
	f.Add(uint8(3), "acme", "", []byte(`{"name":"fuzzed","quota":{"objects":5,"bytes":1e3}}`))
	f.Add(uint8(4), "acme", "", []byte(`{"objects":-1,"bytes":"x"}`))
	f.Add(uint8(5), "acme", "", []byte(`{"username":"bob","password":"bob-password"}`))
	f.Add(uint8(7), "acme", "", []byte(`{"name":"vol","sizeBytes":1,"server":"s"}`))
	f.Add(uint8(9), "", "tenant=acme&limit=99999999999999999999", []byte(nil))
	f.Add(uint8(0), "", "", []byte(`{"username":"nobody","password":"`+strings.Repeat("p", 100)+`"}`))
	f.Add(uint8(1), "x", "", []byte(`{"name":"..\u0000"}`))
	f.Add(uint8(6), "acme", "", []byte(`[1,2,{`))
	f.Add(uint8(12), "photos", "key=a%00b&uploadId=..%2F", []byte(nil))
	f.Add(uint8(13), "photos", "all=true", []byte(nil))
	f.Add(uint8(13), "photos", "key=&uploadId=x", []byte(nil))
	f.Add(uint8(14), "photos", "", []byte(`{"state":"Enabled"}`))
	f.Add(uint8(14), "photos", "", []byte(`{"state":"Suspended","x":1}`))
	f.Add(uint8(15), "photos", "prefix=a/&after=a/b&limit=100", []byte(nil))
	f.Add(uint8(15), "photos", "flat=true&limit=-1", []byte(nil))
	f.Add(uint8(16), "photos", "", []byte(`{"keys":["a","b",""]}`))
	f.Add(uint8(17), "photos", "", []byte(`{"key":"new//"}`))
	f.Add(uint8(18), "photos", "key=a.txt&versionId=null", []byte(nil))
	f.Add(uint8(19), "photos", "key=a.txt&contentType=text/plain", []byte("hello"))
	f.Add(uint8(20), "photos", "key=a.txt", []byte(nil))
	f.Add(uint8(21), "photos", "key=a.txt", []byte(nil))
	f.Add(uint8(22), "photos", "key=a.txt&versionIdMarker=x", []byte(nil))
	f.Add(uint8(23), "photos", "", []byte(`{"key":"a.txt","expiresSeconds":604800}`))
	f.Add(uint8(24), "photos", "", []byte(`{"key":"up","contentType":"a/b; c=d"}`))
	f.Add(uint8(25), "0123", "key=up", []byte("part"))
	f.Add(uint8(26), "0123", "", []byte(`{"key":"up","parts":1}`))
	f.Add(uint8(27), "10000", "key=up", []byte("part"))
	f.Add(uint8(28), "photos", "", []byte(`{"key":"a.txt","versionId":"null"}`))
	f.Add(uint8(30), "photos", "", []byte(`{"expireDays":30,"noncurrentDays":2,"abortDays":7,"revision":""}`))
	f.Add(uint8(30), "photos", "", []byte(`{"expireDays":2147483648}`))
	f.Add(uint8(32), "photos", "", []byte(`{"publicRead":true}`))
	f.Add(uint8(32), "photos", "", []byte(`{"policy":"{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::photos/*\"}]}"}`))
	f.Add(uint8(33), "photos", "", []byte(nil))
	f.Add(uint8(34), "", "", []byte(`{"currentPassword":"wrong-password","newPassword":"x"}`))
	f.Add(uint8(34), "", "", []byte(`{"currentPassword":"","newPassword":"`+strings.Repeat("n", 100)+`"}`))
	f.Add(uint8(35), "", "", []byte(nil))

	e := newEnv(f)
	tenant := e.tenant("acme", storage.Quota{MaxObjects: 3})
	op := e.operator()
	tenant.do("POST", "/api/containers", map[string]string{"name": "photos"}).want(http.StatusCreated)
	e.putObject("acme", "photos", "a.txt", "a")
	tenant.do("POST", "/api/credentials", nil).want(http.StatusCreated)
	f.Fuzz(func(t *testing.T, route uint8, segment, query string, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		target := strings.ReplaceAll(r.path, "{}", url.PathEscape(segment))
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(r.method, "http://console.test"+target, bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		c := op
		if r.tenant {
			c = tenant
		}
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "coffer_session", Value: c.session})
		req.Header.Set("X-CSRF-Token", c.csrf)
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		checkAPIResponse(t, r.method+" "+target, rec)
	})
}

// checkAPIResponse asserts the invariants every API answer keeps.
func checkAPIResponse(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable && rec.Code != http.StatusInsufficientStorage {
		t.Fatalf("%s: status %d: %s", what, rec.Code, rec.Body.Bytes())
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%s: Cache-Control %q", what, rec.Header().Get("Cache-Control"))
	}
	if rec.Code >= 400 {
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("%s: error body %q is not {\"error\": ...}", what, rec.Body.Bytes())
		}
	}
}
