package s3api

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// TestParseLockConfig: the validation AWS applies to
// PutObjectLockConfiguration bodies, code by code.
func TestParseLockConfig(t *testing.T) {
	wrap := func(inner string) string {
		return `<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled>` + inner + `</ObjectLockConfiguration>`
	}
	rule := func(dr string) string { return wrap(`<Rule><DefaultRetention>` + dr + `</DefaultRetention></Rule>`) }
	for _, tc := range []struct {
		name, body string
		want       storage.LockConfig
		code, msg  string
	}{
		{"enabled, no rule", wrap(""), storage.LockConfig{Enabled: true}, "", ""},
		{"days", rule(`<Mode>GOVERNANCE</Mode><Days>7</Days>`), storage.LockConfig{Enabled: true, Mode: storage.LockGovernance, Days: 7}, "", ""},
		{"years", rule(`<Years>2</Years><Mode>COMPLIANCE</Mode>`), storage.LockConfig{Enabled: true, Mode: storage.LockCompliance, Years: 2}, "", ""},
		{"100 years", rule(`<Mode>COMPLIANCE</Mode><Years>100</Years>`), storage.LockConfig{Enabled: true, Mode: storage.LockCompliance, Years: 100}, "", ""},
		{"days and years", rule(`<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>`), storage.LockConfig{}, "MalformedXML", ""},
		{"no period", rule(`<Mode>GOVERNANCE</Mode>`), storage.LockConfig{}, "MalformedXML", ""},
		{"no mode", rule(`<Days>1</Days>`), storage.LockConfig{}, "MalformedXML", ""},
		{"bad mode", rule(`<Mode>governance</Mode><Days>1</Days>`), storage.LockConfig{}, "MalformedXML", ""},
		{"zero days", rule(`<Mode>GOVERNANCE</Mode><Days>0</Days>`), storage.LockConfig{}, "InvalidArgument", "Default retention period must be a positive integer value."},
		{"negative years", rule(`<Mode>GOVERNANCE</Mode><Years>-3</Years>`), storage.LockConfig{}, "InvalidArgument", "positive integer"},
		{"too many days", rule(`<Mode>GOVERNANCE</Mode><Days>36501</Days>`), storage.LockConfig{}, "InvalidArgument", "100 years"},
		{"too many years", rule(`<Mode>GOVERNANCE</Mode><Years>101</Years>`), storage.LockConfig{}, "InvalidArgument", "100 years"},
		{"days overflow", rule(`<Mode>GOVERNANCE</Mode><Days>99999999999999999999</Days>`), storage.LockConfig{}, "MalformedXML", ""},
		{"days not a number", rule(`<Mode>GOVERNANCE</Mode><Days>seven</Days>`), storage.LockConfig{}, "MalformedXML", ""},
		{"rule without retention", wrap(`<Rule></Rule>`), storage.LockConfig{}, "MalformedXML", ""},
		{"disabled", `<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>`, storage.LockConfig{}, "MalformedXML", ""},
		{"no status", `<ObjectLockConfiguration></ObjectLockConfiguration>`, storage.LockConfig{}, "MalformedXML", ""},
		{"empty", ``, storage.LockConfig{}, "MalformedXML", ""},
		{"other document", `<Retention><Mode>GOVERNANCE</Mode></Retention>`, storage.LockConfig{}, "MalformedXML", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLockConfig([]byte(tc.body))
			if tc.code == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			ae := toAPIError(err)
			if err == nil || ae.Code != tc.code || ae.Status != 400 || !strings.Contains(ae.Message, tc.msg) {
				t.Fatalf("got %+v, %v; want %s %q", got, err, tc.code, tc.msg)
			}
		})
	}
}

// TestLockConfigXMLRoundTrip: what GetObjectLockConfiguration renders
// parses back to the same configuration.
func TestLockConfigXMLRoundTrip(t *testing.T) {
	for _, cfg := range []storage.LockConfig{
		{Enabled: true},
		{Enabled: true, Mode: storage.LockGovernance, Days: 1},
		{Enabled: true, Mode: storage.LockCompliance, Years: 3},
	} {
		body, err := xml.Marshal(lockConfigXML(cfg))
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseLockConfig(body)
		if err != nil || got != cfg {
			t.Fatalf("%+v renders %s, parses to %+v, %v", cfg, body, got, err)
		}
	}
	body, _ := xml.Marshal(lockConfigXML(storage.LockConfig{Enabled: true, Mode: storage.LockGovernance, Days: 5}))
	want := `<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>5</Days></DefaultRetention></Rule></ObjectLockConfiguration>`
	if string(body) != want {
		t.Fatalf("rendered %s\nwant     %s", body, want)
	}
}

// TestParseRetention: PutObjectRetention bodies.
func TestParseRetention(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	doc := func(inner string) string {
		return `<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</Retention>`
	}
	for _, tc := range []struct {
		name, body string
		want       storage.Retention
		code, msg  string
	}{
		{"governance", doc(`<Mode>GOVERNANCE</Mode><RetainUntilDate>2026-12-01T00:00:00Z</RetainUntilDate>`),
			storage.Retention{Mode: storage.LockGovernance, Until: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, "", ""},
		{"offset and nanoseconds cut to ms", doc(`<Mode>COMPLIANCE</Mode><RetainUntilDate>2026-12-01T02:00:00.123456789+02:00</RetainUntilDate>`),
			storage.Retention{Mode: storage.LockCompliance, Until: time.Date(2026, 12, 1, 0, 0, 0, 123000000, time.UTC)}, "", ""},
		{"no zone is UTC", doc(`<Mode>COMPLIANCE</Mode><RetainUntilDate>2026-12-01T00:00:00</RetainUntilDate>`),
			storage.Retention{Mode: storage.LockCompliance, Until: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, "", ""},
		{"empty removes", doc(``), storage.Retention{}, "", ""},
		{"past", doc(`<Mode>GOVERNANCE</Mode><RetainUntilDate>2026-11-27T09:59:59Z</RetainUntilDate>`), storage.Retention{}, "InvalidArgument", "The retain until date must be in the future!"},
		{"now", doc(`<Mode>GOVERNANCE</Mode><RetainUntilDate>2026-11-27T10:00:00Z</RetainUntilDate>`), storage.Retention{}, "InvalidArgument", "future"},
		{"bad mode", doc(`<Mode>FOREVER</Mode><RetainUntilDate>2026-12-01T00:00:00Z</RetainUntilDate>`), storage.Retention{}, "MalformedXML", ""},
		{"mode without date", doc(`<Mode>GOVERNANCE</Mode>`), storage.Retention{}, "MalformedXML", ""},
		{"date without mode", doc(`<RetainUntilDate>2026-12-01T00:00:00Z</RetainUntilDate>`), storage.Retention{}, "MalformedXML", ""},
		{"bad date", doc(`<Mode>GOVERNANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate>`), storage.Retention{}, "MalformedXML", ""},
		{"not xml", `Retention`, storage.Retention{}, "MalformedXML", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRetention([]byte(tc.body), now)
			if tc.code == "" {
				if err != nil || got.Mode != tc.want.Mode || !got.Until.Equal(tc.want.Until) {
					t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			ae := toAPIError(err)
			if err == nil || ae.Code != tc.code || !strings.Contains(ae.Message, tc.msg) {
				t.Fatalf("got %+v, %v; want %s %q", got, err, tc.code, tc.msg)
			}
		})
	}
}

func TestParseLegalHold(t *testing.T) {
	for body, want := range map[string]bool{
		`<LegalHold><Status>ON</Status></LegalHold>`:                                                  true,
		`<LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>OFF</Status></LegalHold>`: false,
	} {
		if got, err := parseLegalHold([]byte(body)); err != nil || got != want {
			t.Errorf("%s: %v, %v", body, got, err)
		}
	}
	for _, body := range []string{`<LegalHold><Status>on</Status></LegalHold>`, `<LegalHold></LegalHold>`, `<LegalHold><Status>MAYBE</Status></LegalHold>`, ``} {
		if _, err := parseLegalHold([]byte(body)); toAPIError(err).Code != "MalformedXML" {
			t.Errorf("%q: %v, want MalformedXML", body, err)
		}
	}
}

// TestParseLockHeaders: the x-amz-object-lock-* headers of writes, with
// AWS's codes, messages and ArgumentName.
func TestParseLockHeaders(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name             string
		mode, date, hold string
		wantRet          *storage.Retention
		wantHold         bool
		code, msg, arg   string
	}{
		{"none", "", "", "", nil, false, "", "", ""},
		{"retention", "GOVERNANCE", "2026-11-28T00:00:00.000Z", "", &storage.Retention{Mode: storage.LockGovernance, Until: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}, false, "", "", ""},
		{"hold on", "", "", "ON", nil, true, "", "", ""},
		{"hold off", "", "", "OFF", nil, false, "", "", ""},
		{"both", "COMPLIANCE", "2027-01-01T00:00:00Z", "ON", &storage.Retention{Mode: storage.LockCompliance, Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, true, "", "", ""},
		{"mode alone", "GOVERNANCE", "", "", nil, false, "InvalidArgument", "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied", ""},
		{"date alone", "", "2027-01-01T00:00:00Z", "", nil, false, "InvalidArgument", "must both be supplied", ""},
		{"bad mode", "WORM", "2027-01-01T00:00:00Z", "", nil, false, "InvalidArgument", "Unknown wormMode directive.", "x-amz-object-lock-mode"},
		{"bad date", "GOVERNANCE", "01/06/2027", "", nil, false, "InvalidArgument", "ISO 8601", "x-amz-object-lock-retain-until-date"},
		{"past date", "GOVERNANCE", "2026-11-27T09:00:00Z", "", nil, false, "InvalidArgument", "The retain until date must be in the future!", "x-amz-object-lock-retain-until-date"},
		{"bad hold", "", "", "YES", nil, false, "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'", "x-amz-object-lock-legal-hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range map[string]string{hdrLockMode: tc.mode, hdrLockUntil: tc.date, hdrLockLegalHold: tc.hold} {
				if v != "" {
					h.Set(k, v)
				}
			}
			lh, err := parseLockHeaders(h, now)
			if tc.code != "" {
				ae := toAPIError(err)
				if err == nil || ae.Code != tc.code || ae.Status != 400 || !strings.Contains(ae.Message, tc.msg) {
					t.Fatalf("got %+v, %v; want %s %q", lh, err, tc.code, tc.msg)
				}
				if tc.arg != "" {
					w := httptest.NewRecorder()
					writeError(w, httptest.NewRequest("PUT", "/b/k", nil), "R", ae)
					if !strings.Contains(w.Body.String(), "<ArgumentName>"+tc.arg+"</ArgumentName>") {
						t.Fatalf("error body lacks ArgumentName %s: %s", tc.arg, w.Body.String())
					}
				}
				return
			}
			if err != nil || lh.legalHold != tc.wantHold || (lh.retention == nil) != (tc.wantRet == nil) ||
				lh.retention != nil && (lh.retention.Mode != tc.wantRet.Mode || !lh.retention.Until.Equal(tc.wantRet.Until)) {
				t.Fatalf("got %+v (%+v), %v", lh, lh.retention, err)
			}
			if lh.present != (tc.mode != "" || tc.hold != "") {
				t.Fatalf("present = %v", lh.present)
			}
		})
	}
}

// TestSetLockHeaders: GET/HEAD carry mode, date and legal hold only when set.
func TestSetLockHeaders(t *testing.T) {
	h := http.Header{}
	setLockHeaders(h, storage.ObjectInfo{})
	if len(h) != 0 {
		t.Fatalf("unlocked version got headers %v", h)
	}
	until := time.Date(2027, 1, 2, 3, 4, 5, 600000000, time.UTC)
	setLockHeaders(h, storage.ObjectInfo{Retention: storage.Retention{Mode: storage.LockCompliance, Until: until}, LegalHold: true})
	if h.Get(hdrLockMode) != "COMPLIANCE" || h.Get(hdrLockUntil) != "2027-01-02T03:04:05.600Z" || h.Get(hdrLockLegalHold) != "ON" {
		t.Fatalf("headers %v", h)
	}
}

// TestLockHeadersDroppedOnError: a response that turns into an error does
// not keep the lock headers set for the success it did not reach.
func TestLockHeadersDroppedOnError(t *testing.T) {
	w := httptest.NewRecorder()
	setLockHeaders(w.Header(), storage.ObjectInfo{Retention: storage.Retention{Mode: storage.LockGovernance, Until: time.Now()}, LegalHold: true})
	writeError(w, httptest.NewRequest("GET", "/b/k", nil), "R", toAPIError(storage.ErrQuorum))
	for _, h := range []string{hdrLockMode, hdrLockUntil, hdrLockLegalHold} {
		if w.Header().Get(h) != "" {
			t.Errorf("error response kept %s", h)
		}
	}
}
