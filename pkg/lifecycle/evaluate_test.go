package lifecycle

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// AWS's examples and the day boundary: start + N days, rounded up to the
// next midnight UTC.
func TestDueAfterAWSCounting(t *testing.T) {
	tests := []struct {
		name    string
		start   string
		days    int
		wantDue string
	}{
		// S3 user guide: created 1/15/2014 10:30 UTC, 3 days -> 1/19/2014 00:00 UTC.
		{"aws example", "2014-01-15T10:30:00Z", 3, "2014-01-19T00:00:00Z"},
		// One second before midnight, Days=1: +1 day is 23:59:59 the next
		// day, so the object expires at the second midnight after creation.
		{"23:59:59 with one day", "2026-03-10T23:59:59Z", 1, "2026-03-12T00:00:00Z"},
		{"one second after midnight", "2026-03-10T00:00:01Z", 1, "2026-03-12T00:00:00Z"},
		{"exactly midnight moves to the next one", "2026-03-10T00:00:00Z", 1, "2026-03-12T00:00:00Z"},
		{"across a leap day", "2028-02-28T12:00:00Z", 1, "2028-03-01T00:00:00Z"},
		{"non-UTC zone is counted in UTC", "2026-03-10T23:30:00-05:00", 1, "2026-03-13T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, _ := time.Parse(time.RFC3339, tt.start)
			if got := dueAfter(start, tt.days); !got.Equal(utc(tt.wantDue)) {
				t.Fatalf("dueAfter(%s, %d) = %s, want %s", tt.start, tt.days, got, tt.wantDue)
			}
		})
	}
}

func TestDayBoundaryEvaluate(t *testing.T) {
	c := mustParse(t, cfg(rule("one-day", ``, `<Expiration><Days>1</Days></Expiration>`)))
	o := &Object{Key: "k", ModTime: utc("2026-03-10T23:59:59Z"), IsLatest: true}
	for _, tt := range []struct {
		now  string
		want Action
	}{
		{"2026-03-11T00:00:00Z", ActionNone},
		{"2026-03-11T23:59:59Z", ActionNone},
		{"2026-03-12T00:00:00Z", ActionDelete},
		{"2026-03-12T00:00:01Z", ActionDelete},
	} {
		if got := c.Evaluate(o, utc(tt.now)); got.Action != tt.want {
			t.Errorf("at %s: %v, want %v", tt.now, got.Action, tt.want)
		}
	}
}

func TestEvaluateRules(t *testing.T) {
	created := utc("2026-01-01T10:00:00Z")
	tags := map[string]string{"class": "tmp", "team": "a"}
	tests := []struct {
		name   string
		rules  []string
		obj    Object
		now    string
		want   Action
		ruleID string
	}{
		{"unversioned current deleted",
			[]string{rule("exp", `<Prefix>logs/</Prefix>`, `<Expiration><Days>3</Days></Expiration>`)},
			Object{Key: "logs/a", ModTime: created, IsLatest: true}, "2026-01-05T00:00:00Z", ActionDelete, "exp"},
		{"not due the second before",
			[]string{rule("exp", `<Prefix>logs/</Prefix>`, `<Expiration><Days>3</Days></Expiration>`)},
			Object{Key: "logs/a", ModTime: created, IsLatest: true}, "2026-01-04T23:59:59Z", ActionNone, ""},
		{"versioned current gets a delete marker",
			[]string{rule("exp", ``, `<Expiration><Days>3</Days></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, Versioned: true}, "2026-01-05T00:00:00Z", ActionAddDeleteMarker, "exp"},
		{"prefix mismatch",
			[]string{rule("exp", `<Prefix>logs/</Prefix>`, `<Expiration><Days>3</Days></Expiration>`)},
			Object{Key: "log/a", ModTime: created, IsLatest: true}, "2027-01-01T00:00:00Z", ActionNone, ""},
		{"disabled rule does nothing",
			[]string{`<Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>`},
			Object{Key: "a", ModTime: created, IsLatest: true}, "2027-01-01T00:00:00Z", ActionNone, ""},
		{"date rule expires on the date",
			[]string{rule("date", ``, `<Expiration><Date>2026-06-01T00:00:00Z</Date></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true}, "2026-06-01T00:00:00Z", ActionDelete, "date"},
		{"date rule not before the date",
			[]string{rule("date", ``, `<Expiration><Date>2026-06-01T00:00:00Z</Date></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true}, "2026-05-31T23:59:59Z", ActionNone, ""},
		{"date rule expires objects created after the date",
			[]string{rule("date", ``, `<Expiration><Date>2026-06-01T00:00:00Z</Date></Expiration>`)},
			Object{Key: "a", ModTime: utc("2026-07-01T00:00:00Z"), IsLatest: true}, "2026-07-01T00:00:00Z", ActionDelete, "date"},
		{"tag filter matches",
			[]string{rule("tag", `<Tag><Key>class</Key><Value>tmp</Value></Tag>`, `<Expiration><Days>1</Days></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, Tags: tags}, "2026-01-03T00:00:00Z", ActionDelete, "tag"},
		{"tag filter needs the value",
			[]string{rule("tag", `<Tag><Key>class</Key><Value>keep</Value></Tag>`, `<Expiration><Days>1</Days></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, Tags: tags}, "2027-01-03T00:00:00Z", ActionNone, ""},
		{"and needs every tag",
			[]string{rule("and", `<And><Tag><Key>class</Key><Value>tmp</Value></Tag><Tag><Key>team</Key><Value>b</Value></Tag></And>`, `<Expiration><Days>1</Days></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, Tags: tags}, "2027-01-03T00:00:00Z", ActionNone, ""},
		{"and with prefix, tags and sizes matches",
			[]string{rule("and", `<And><Prefix>a</Prefix><Tag><Key>class</Key><Value>tmp</Value></Tag><Tag><Key>team</Key><Value>a</Value></Tag><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan><ObjectSizeLessThan>11</ObjectSizeLessThan></And>`, `<Expiration><Days>1</Days></Expiration>`)},
			Object{Key: "a", Size: 10, ModTime: created, IsLatest: true, Tags: tags}, "2026-01-03T00:00:00Z", ActionDelete, "and"},
		{"size greater than is strict",
			[]string{rule("big", `<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>`, `<Expiration><Days>1</Days></Expiration>`)},
			Object{Key: "a", Size: 10, ModTime: created, IsLatest: true}, "2027-01-03T00:00:00Z", ActionNone, ""},
		{"size less than is strict",
			[]string{rule("small", `<ObjectSizeLessThan>10</ObjectSizeLessThan>`, `<Expiration><Days>1</Days></Expiration>`)},
			Object{Key: "a", Size: 10, ModTime: created, IsLatest: true}, "2027-01-03T00:00:00Z", ActionNone, ""},
		{"size less than matches smaller",
			[]string{rule("small", `<ObjectSizeLessThan>10</ObjectSizeLessThan>`, `<Expiration><Days>1</Days></Expiration>`)},
			Object{Key: "a", Size: 9, ModTime: created, IsLatest: true}, "2026-01-03T00:00:00Z", ActionDelete, "small"},
		{"noncurrent version deleted NoncurrentDays after its successor",
			[]string{rule("nc", ``, `<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>`)},
			Object{Key: "a", ModTime: created, NoncurrentSince: utc("2014-01-15T10:30:00Z")}, "2014-01-19T00:00:00Z", ActionDeleteVersion, "nc"},
		{"noncurrent not before",
			[]string{rule("nc", ``, `<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>`)},
			Object{Key: "a", ModTime: created, NoncurrentSince: utc("2014-01-15T10:30:00Z")}, "2014-01-18T23:59:59Z", ActionNone, ""},
		{"newer noncurrent versions are kept",
			[]string{rule("nc", ``, `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)},
			Object{Key: "a", ModTime: created, NoncurrentSince: created, NewerNoncurrent: 1}, "2027-01-01T00:00:00Z", ActionNone, ""},
		{"beyond the newer noncurrent versions it goes",
			[]string{rule("nc", ``, `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)},
			Object{Key: "a", ModTime: created, NoncurrentSince: created, NewerNoncurrent: 2}, "2026-01-03T00:00:00Z", ActionDeleteVersion, "nc"},
		{"noncurrent delete marker is a noncurrent version",
			[]string{rule("nc", ``, `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`)},
			Object{Key: "a", IsDeleteMarker: true, ModTime: created, NoncurrentSince: created}, "2026-01-03T00:00:00Z", ActionDeleteVersion, "nc"},
		{"current expiration leaves noncurrent versions",
			[]string{rule("exp", ``, `<Expiration><Days>1</Days></Expiration>`)},
			Object{Key: "a", ModTime: created, NoncurrentSince: created}, "2027-01-01T00:00:00Z", ActionNone, ""},
		{"expired object delete marker removed at once",
			[]string{rule("eodm", ``, `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, IsDeleteMarker: true, Versioned: true}, "2026-01-01T10:00:00Z", ActionRemoveDeleteMarker, "eodm"},
		{"marker with other versions stays",
			[]string{rule("eodm", ``, `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, IsDeleteMarker: true, Versioned: true, OtherVersions: 1}, "2027-01-01T00:00:00Z", ActionNone, ""},
		{"marker rule set to false does nothing",
			[]string{rule("eodm", ``, `<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, IsDeleteMarker: true, Versioned: true}, "2027-01-01T00:00:00Z", ActionNone, ""},
		{"days expiration removes a lone marker once it is old enough",
			[]string{rule("exp", ``, `<Expiration><Days>2</Days></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, IsDeleteMarker: true, Versioned: true}, "2026-01-04T00:00:00Z", ActionRemoveDeleteMarker, "exp"},
		{"days expiration never adds a marker on a marker",
			[]string{rule("exp", ``, `<Expiration><Days>2</Days></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true, IsDeleteMarker: true, Versioned: true, OtherVersions: 3}, "2027-01-04T00:00:00Z", ActionNone, ""},
		{"earliest of two rules wins",
			[]string{rule("late", ``, `<Expiration><Days>10</Days></Expiration>`), rule("early", `<Prefix>a</Prefix>`, `<Expiration><Days>2</Days></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true}, "2026-01-04T00:00:00Z", ActionDelete, "early"},
		{"equal dates: first rule wins",
			[]string{rule("first", ``, `<Expiration><Days>2</Days></Expiration>`), rule("second", ``, `<Expiration><Date>2026-01-04T00:00:00Z</Date></Expiration>`)},
			Object{Key: "a", ModTime: created, IsLatest: true}, "2026-01-04T00:00:00Z", ActionDelete, "first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, cfg(tt.rules...))
			got := c.Evaluate(&tt.obj, utc(tt.now))
			if got.Action != tt.want || got.RuleID != tt.ruleID {
				t.Fatalf("got %v by %q (due %s), want %v by %q", got.Action, got.RuleID, got.Due, tt.want, tt.ruleID)
			}
			if got.Action != ActionNone && got.Due.After(utc(tt.now)) {
				t.Fatalf("due %s is after now", got.Due)
			}
		})
	}
}

func TestNilConfigurationDoesNothing(t *testing.T) {
	var c *Configuration
	o := &Object{Key: "a", IsLatest: true}
	if d := c.Evaluate(o, utc("2030-01-01T00:00:00Z")); d.Action != ActionNone {
		t.Fatalf("got %v", d.Action)
	}
	if _, ok := c.ExpirationHeader(o); ok {
		t.Fatal("header from no configuration")
	}
}

func TestExpirationHeader(t *testing.T) {
	c := mustParse(t, cfg(
		rule("picture-deletion-rule", `<Prefix>pictures/</Prefix>`, `<Expiration><Date>2012-12-21T00:00:00Z</Date></Expiration>`),
		rule(`odd id &quot;/&amp;`, `<Prefix>odd/</Prefix>`, `<Expiration><Days>1</Days></Expiration>`),
		rule("nc", ``, `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`),
	))
	got, ok := c.ExpirationHeader(&Object{Key: "pictures/a.jpg", ModTime: utc("2012-01-01T00:00:00Z"), IsLatest: true})
	want := `expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"`
	if !ok || got != want {
		t.Fatalf("got %q, %v\nwant %q", got, ok, want)
	}
	got, ok = c.ExpirationHeader(&Object{Key: "odd/x", ModTime: utc("2026-03-10T23:59:59Z"), IsLatest: true})
	want = `expiry-date="Thu, 12 Mar 2026 00:00:00 GMT", rule-id="odd%20id%20%22%2F%26"`
	if !ok || got != want {
		t.Fatalf("got %q, %v\nwant %q", got, ok, want)
	}
	// No expiration rule for the key (only a noncurrent one): no header.
	if got, ok := c.ExpirationHeader(&Object{Key: "other", ModTime: utc("2026-03-10T00:00:00Z"), IsLatest: true}); ok {
		t.Fatalf("header %q for an object no rule expires", got)
	}
	// Not for noncurrent versions or delete markers.
	if _, ok := c.ExpirationHeader(&Object{Key: "pictures/a", ModTime: utc("2012-01-01T00:00:00Z")}); ok {
		t.Fatal("header for a noncurrent version")
	}
	if _, ok := c.ExpirationHeader(&Object{Key: "pictures/a", IsLatest: true, IsDeleteMarker: true}); ok {
		t.Fatal("header for a delete marker")
	}
}
