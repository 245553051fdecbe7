package testutil

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestParseMetricsAndSeries(t *testing.T) {
	body := []byte(`# HELP coffer_drive_online 1 when the drive is online.
# TYPE coffer_drive_online gauge
coffer_drive_online{drive="0",path="/d0"} 1
coffer_drive_online{drive="1",path="/d1"} 0
# TYPE go_goroutines gauge
go_goroutines 42
# TYPE coffer_s3_request_seconds histogram
coffer_s3_request_seconds_bucket{op="GetObject",le="0.1"} 3
coffer_s3_request_seconds_bucket{op="GetObject",le="+Inf"} 5
coffer_s3_request_seconds_sum{op="GetObject"} 0.7
coffer_s3_request_seconds_count{op="GetObject"} 5
`)
	mfs := ParseMetrics(t, body)
	drives, ok := Series(mfs, "coffer_drive_online")
	if !ok || len(drives) != 2 || drives["drive=0,path=/d0"] != 1 || drives["drive=1,path=/d1"] != 0 {
		t.Fatalf("drives: %v %v", drives, ok)
	}
	if g, _ := Series(mfs, "go_goroutines"); g[""] != 42 {
		t.Fatalf("goroutines: %v", g)
	}
	if h, _ := Series(mfs, "coffer_s3_request_seconds"); h["op=GetObject"] != 5 {
		t.Fatalf("histogram count: %v", h)
	}
	if _, ok := Series(mfs, "nope"); ok {
		t.Fatal("a missing family was found")
	}
}

func TestXMLErrorCodeAndS3ErrorCode(t *testing.T) {
	if got := XMLErrorCode([]byte(`<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>x</Message></Error>`)); got != "NoSuchKey" {
		t.Fatalf("XMLErrorCode = %q", got)
	}
	if got := XMLErrorCode([]byte("not xml")); got != "" {
		t.Fatalf("XMLErrorCode of junk = %q", got)
	}
	if S3ErrorCode(nil) != "" || S3ErrorCode(errors.New("dial: refused")) != "dial: refused" {
		t.Fatal("S3ErrorCode of nil or a non-S3 error")
	}
}

func TestAPIAuthenticates(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, basic := r.BasicAuth()
		c, _ := r.Cookie(SessionCookie)
		switch {
		case r.Header.Get("Authorization") == "Bearer tok":
			_, _ = w.Write([]byte(`{"who":"token"}`))
		case basic && u == OperatorUsername && p == "pw":
			_, _ = w.Write([]byte(`{"who":"basic"}`))
		case c != nil && c.Value == "s1" && r.Header.Get("X-CSRF-Token") == "c1":
			_, _ = w.Write([]byte(`{"who":"session"}`))
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"who are you"}`))
		}
	}))
	defer srv.Close()
	for want, api := range map[string]*API{
		"token":   {T: t, Base: srv.URL, Token: "tok"},
		"basic":   Operator(t, srv.URL, "pw"),
		"session": {T: t, Base: srv.URL, Session: "s1", CSRF: "c1"},
	} {
		var got struct{ Who string }
		api.Must(http.StatusOK, "GET", "/api/x", nil, &got)
		if got.Who != want {
			t.Fatalf("%s: server saw %q", want, got.Who)
		}
	}
	(&API{T: t, Base: srv.URL, Session: "s1", CSRF: "c1", NoCSRF: true}).Do("GET", "/api/x", nil).WantError(http.StatusUnauthorized, "who are you")
}
