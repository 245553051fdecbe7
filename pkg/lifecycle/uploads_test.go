package lifecycle

import "testing"

func TestAbortFor(t *testing.T) {
	c := mustParse(t, cfg(
		rule("tmp-1", `<Prefix>tmp/</Prefix>`, `<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
		rule("all-30", ``, `<AbortIncompleteMultipartUpload><DaysAfterInitiation>30</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
		`<Rule><ID>off</ID><Filter><Prefix>off/</Prefix></Filter><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`,
	))
	init := utc("2026-03-10T23:59:59Z")
	d := c.AbortFor(&Upload{Key: "tmp/big", Initiated: init})
	if d.RuleID != "tmp-1" || !d.Due.Equal(utc("2026-03-12T00:00:00Z")) || d.FromDefault {
		t.Fatalf("got %+v", d)
	}
	if d.DueAt(utc("2026-03-11T23:59:59Z")) || !d.DueAt(utc("2026-03-12T00:00:00Z")) {
		t.Fatal("DueAt wrong around the due midnight")
	}
	date, id, ok := d.AbortHeaders()
	if !ok || date != "Thu, 12 Mar 2026 00:00:00 GMT" || id != "tmp-1" {
		t.Fatalf("headers %q %q %v", date, id, ok)
	}
	if d := c.AbortFor(&Upload{Key: "off/x", Initiated: init}); d.RuleID != "all-30" {
		t.Fatalf("disabled rule applied: %+v", d)
	}
}

func TestAbortHeaderRuleIDIsHeaderSafe(t *testing.T) {
	c := mustParse(t, cfg(rule("a\tb%c", ``, `<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`)))
	_, id, ok := c.AbortFor(&Upload{Key: "k", Initiated: utc("2026-01-01T00:00:00Z")}).AbortHeaders()
	if !ok || id != "a%09b%25c" {
		t.Fatalf("id %q", id)
	}
}

func TestEffectiveAbort(t *testing.T) {
	init := utc("2026-03-10T12:00:00Z")
	bucket := mustParse(t, cfg(
		rule("long", `<Prefix>keep/</Prefix>`, `<AbortIncompleteMultipartUpload><DaysAfterInitiation>60</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
		rule("exp-only", ``, `<Expiration><Days>5</Days></Expiration>`),
		`<Rule><ID>off</ID><Filter><Prefix>off/</Prefix></Filter><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`,
	))
	tests := []struct {
		name        string
		cfg         *Configuration
		defaultDays int
		key         string
		wantDue     string
		wantRule    string
		wantDefault bool
	}{
		{"no configuration: tenant default", nil, DefaultAbortDays, "a", "2026-03-18T00:00:00Z", "", true},
		{"bucket rule overrides with a later date", bucket, DefaultAbortDays, "keep/a", "2026-05-10T00:00:00Z", "long", false},
		{"upload the bucket rule does not select keeps the default", bucket, DefaultAbortDays, "other", "2026-03-18T00:00:00Z", "", true},
		{"a disabled bucket rule does not override", bucket, 3, "off/a", "2026-03-14T00:00:00Z", "", true},
		{"default off, no rule: never", nil, 0, "a", "", "", false},
		{"default off, bucket rule still applies", bucket, 0, "keep/a", "2026-05-10T00:00:00Z", "long", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := EffectiveAbort(tt.cfg, tt.defaultDays, &Upload{Key: tt.key, Initiated: init})
			if tt.wantDue == "" {
				if d.Set() {
					t.Fatalf("got %+v, want none", d)
				}
				return
			}
			if !d.Due.Equal(utc(tt.wantDue)) || d.RuleID != tt.wantRule || d.FromDefault != tt.wantDefault {
				t.Fatalf("got %+v, want due %s rule %q default %v", d, tt.wantDue, tt.wantRule, tt.wantDefault)
			}
			if _, _, ok := d.AbortHeaders(); ok == tt.wantDefault {
				t.Fatalf("abort headers sent = %v for default = %v", ok, tt.wantDefault)
			}
		})
	}
}
