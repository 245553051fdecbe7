package s3api

import (
	"encoding/xml"
	"net/http"
	"testing"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// fuzzNow is the fixed "now" of the lock fuzz targets, so that a corpus
// entry means the same thing on every run.
var fuzzNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// FuzzLockConfig: PutObjectLockConfiguration bodies never panic, every
// refusal is a 400 client error, and what is accepted is a valid
// configuration that renders and parses back to itself.
func FuzzLockConfig(f *testing.F) {
	f.Add([]byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`))
	f.Add([]byte(`<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`))
	f.Add([]byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>100</Years><Days>0</Days></DefaultRetention></Rule></ObjectLockConfiguration>`))
	f.Add([]byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>-1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseLockConfig(data)
		if err != nil {
			if ae := toAPIError(err); ae.Status != http.StatusBadRequest {
				t.Fatalf("refusal %s %d: %v", ae.Code, ae.Status, err)
			}
			return
		}
		if !cfg.Enabled {
			t.Fatalf("accepted a disabled configuration %+v", cfg)
		}
		switch cfg.Mode {
		case "":
			if cfg.Days != 0 || cfg.Years != 0 {
				t.Fatalf("period without mode %+v", cfg)
			}
		case storage.LockGovernance, storage.LockCompliance:
			days, years := cfg.Days > 0 && cfg.Days <= maxRetentionDays, cfg.Years > 0 && cfg.Years <= maxRetentionYears
			if days == years || (days && cfg.Years != 0) || (years && cfg.Days != 0) {
				t.Fatalf("accepted period %+v", cfg)
			}
		default:
			t.Fatalf("accepted mode %q", cfg.Mode)
		}
		body, err := xml.Marshal(lockConfigXML(cfg))
		if err != nil {
			t.Fatal(err)
		}
		if again, err := parseLockConfig(body); err != nil || again != cfg {
			t.Fatalf("%+v does not round-trip: %+v, %v", cfg, again, err)
		}
	})
}

// FuzzRetention: PutObjectRetention and PutObjectLegalHold bodies never
// panic; an accepted retention is none or a valid mode with a date after now
// in whole milliseconds.
func FuzzRetention(f *testing.F) {
	f.Add([]byte(`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>`))
	f.Add([]byte(`<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2026-11-27T10:00:00.0000001+00:00</RetainUntilDate></Retention>`))
	f.Add([]byte(`<Retention/>`))
	f.Add([]byte(`<LegalHold><Status>ON</Status></LegalHold>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := parseLegalHold(data); err != nil && toAPIError(err).Status != http.StatusBadRequest {
			t.Fatalf("legal hold refusal %v", err)
		}
		r, err := parseRetention(data, fuzzNow)
		if err != nil {
			if ae := toAPIError(err); ae.Status != http.StatusBadRequest {
				t.Fatalf("refusal %s %d: %v", ae.Code, ae.Status, err)
			}
			return
		}
		if r == (storage.Retention{}) {
			return
		}
		if !validLockMode(string(r.Mode)) || !r.Until.After(fuzzNow) || r.Until.Nanosecond()%int(time.Millisecond) != 0 || r.Until.Location() != time.UTC {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// FuzzLockHeaders: the x-amz-object-lock-* headers of writes never panic;
// what is accepted is a valid mode with a future date (or none) and a legal
// hold of ON/OFF; rendering the date and parsing it again gives the same
// instant.
func FuzzLockHeaders(f *testing.F) {
	f.Add("GOVERNANCE", "2030-01-01T00:00:00Z", "ON")
	f.Add("COMPLIANCE", "2026-11-27T10:00:00.001Z", "")
	f.Add("", "", "OFF")
	f.Add("GOVERNANCE", "2026-11-27T12:00:00+02:00", "on")
	f.Add("compliance", "9999-12-31T23:59:59.999999999Z", "maybe")
	f.Fuzz(func(t *testing.T, mode, date, hold string) {
		h := http.Header{}
		h[hdrLockMode] = []string{mode}
		h[hdrLockUntil] = []string{date}
		h[hdrLockLegalHold] = []string{hold}
		lh, err := parseLockHeaders(h, fuzzNow)
		if err != nil {
			if ae := toAPIError(err); ae.Status != http.StatusBadRequest || ae.Code != "InvalidArgument" {
				t.Fatalf("refusal %s %d: %v", ae.Code, ae.Status, err)
			}
			return
		}
		if lh.legalHold && hold != "ON" && hold != "on" && hold != "On" && hold != "oN" {
			t.Fatalf("legal hold from %q", hold)
		}
		if lh.retention == nil {
			if mode != "" {
				t.Fatalf("mode %q accepted without retention", mode)
			}
			return
		}
		r := *lh.retention
		if !validLockMode(string(r.Mode)) || !r.Until.After(fuzzNow) {
			t.Fatalf("accepted %+v", r)
		}
		again, ok := parseLockDate(lockTime(r.Until))
		if !ok || !again.Equal(r.Until) {
			t.Fatalf("date %q renders %q, parses to %v", date, lockTime(r.Until), again)
		}
	})
}
