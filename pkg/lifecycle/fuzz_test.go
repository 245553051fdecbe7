package lifecycle

import (
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzLifecycleXML: Parse never panics, fails only with *Error, and what it
// accepts is within AWS's limits and survives Marshal -> Parse unchanged.
func FuzzLifecycleXML(f *testing.F) {
	f.Add(cfg(rule("r", `<Prefix>logs/</Prefix>`, `<Expiration><Days>30</Days></Expiration>`)))
	f.Add(cfg(rule("r", `<And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></And>`,
		`<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)))
	f.Add(cfg(`<Rule><Prefix>x</Prefix><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`))
	f.Add(cfg(rule("r", ``, `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)))
	f.Add(cfg(rule("r", ``, `<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration><Transition><Days>1</Days></Transition>`)))
	f.Add(`<LifecycleConfiguration><Rule><ID>&#x1;</ID></Rule></LifecycleConfiguration>`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, body string) {
		c, err := ParseBytes([]byte(body))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Status == 0 {
				t.Fatalf("error %v is not a complete *Error", err)
			}
			return
		}
		if len(c.Rules) == 0 || len(c.Rules) > MaxRules {
			t.Fatalf("%d rules accepted", len(c.Rules))
		}
		ids := map[string]bool{}
		for _, r := range c.Rules {
			if r.ID == "" || ids[r.ID] || utf8.RuneCountInString(r.ID) > MaxIDLength {
				t.Fatalf("bad or duplicate ID %q", r.ID)
			}
			ids[r.ID] = true
			if (r.Prefix == nil) == (r.Filter == nil) {
				t.Fatalf("rule %q has both or neither of Prefix and Filter", r.ID)
			}
		}
		out, err := Marshal(c)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := ParseBytes(out)
		if err != nil {
			t.Fatalf("re-Parse of our own output: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip changed the configuration\n%s", out)
		}
	})
}

// FuzzEvaluate: for any rule values and object facts, evaluation never
// panics, an action is never due after now, stays due later on, falls on a
// UTC midnight when counted in days, and the header appears exactly for
// current versions a rule expires.
func FuzzEvaluate(f *testing.F) {
	f.Add(30, int64(0), 7, 2, int64(1773187199), int64(1773273600), "logs/a", "logs/", int64(5), true, false, true, 0, 0)
	f.Add(1, int64(1893456000), 1, 1, int64(0), int64(1<<40), "k", "", int64(0), false, true, false, 3, 1)
	f.Fuzz(func(t *testing.T, days int, dateUnix int64, ncDays, newer int, modUnix, nowUnix int64,
		key, prefix string, size int64, latest, marker, versioned bool, others, newerNC int) {
		// Bound the times to years time.Time formats; the engine's input
		// comes from storage, never from a client.
		const span = int64(1) << 40
		if modUnix < -span || modUnix > span || nowUnix < -span || nowUnix > span || dateUnix < 0 || dateUnix > span {
			return
		}
		exp := fmt.Sprintf(`<Expiration><Days>%d</Days></Expiration>`, days)
		if dateUnix > 0 {
			date := time.Unix(dateUnix-dateUnix%86400, 0).UTC().Format(time.RFC3339)
			exp = `<Expiration><Date>` + date + `</Date></Expiration>`
		}
		nc := fmt.Sprintf(`<NoncurrentVersionExpiration><NoncurrentDays>%d</NoncurrentDays><NewerNoncurrentVersions>%d</NewerNoncurrentVersions></NoncurrentVersionExpiration>`, ncDays, newer)
		var esc strings.Builder
		if err := xmlEscape(&esc, prefix); err != nil {
			return
		}
		c, err := ParseBytes([]byte(cfg(rule("r", `<Prefix>`+esc.String()+`</Prefix>`, exp+nc),
			rule("m", ``, `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`))))
		if err != nil {
			return
		}
		mod := time.Unix(modUnix, 0).UTC()
		o := &Object{Key: key, Size: size, ModTime: mod, IsLatest: latest, IsDeleteMarker: marker,
			Versioned: versioned, NoncurrentSince: mod.Add(time.Hour), NewerNoncurrent: newerNC, OtherVersions: others}
		now := time.Unix(nowUnix, 0).UTC()
		d := c.Evaluate(o, now)
		if d.Action != ActionNone {
			if d.Due.After(now) {
				t.Fatalf("due %s after now %s", d.Due, now)
			}
			if later := c.Evaluate(o, now.Add(400*24*time.Hour)); later != d {
				t.Fatalf("decision changed later: %+v then %+v", d, later)
			}
		}
		next := c.Next(o)
		if next.Action == ActionDeleteVersion || (next.Action != ActionNone && next.RuleID == "r" && next.Action != ActionRemoveDeleteMarker) {
			if !next.Due.Equal(midnight(next.Due)) {
				t.Fatalf("due %s is not a UTC midnight", next.Due)
			}
		}
		h, ok := c.ExpirationHeader(o)
		wantHeader := latest && !marker && (next.Action == ActionDelete || next.Action == ActionAddDeleteMarker)
		if ok != wantHeader {
			t.Fatalf("header %q sent=%v, want %v (%+v)", h, ok, wantHeader, next)
		}
		if ok && (strings.ContainsAny(h, "\r\n") || !strings.HasPrefix(h, `expiry-date="`)) {
			t.Fatalf("bad header %q", h)
		}
	})
}

func xmlEscape(b *strings.Builder, s string) error {
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return errors.New("not an XML character")
		}
	}
	return xmlEscapeText(b, s)
}

func xmlEscapeText(b *strings.Builder, s string) error {
	return xml.EscapeText(b, []byte(s))
}
