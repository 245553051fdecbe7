package lifecycle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// cfg wraps rules in a LifecycleConfiguration element.
func cfg(rules ...string) string {
	return `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</LifecycleConfiguration>`
}

// rule builds a V2 rule with an ID, Enabled, the filter body and actions.
func rule(id, filter, actions string) string {
	return `<Rule><ID>` + id + `</ID><Filter>` + filter + `</Filter><Status>Enabled</Status>` + actions + `</Rule>`
}

func mustParse(t *testing.T, body string) *Configuration {
	t.Helper()
	c, err := ParseBytes([]byte(body))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, body)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestParseValid(t *testing.T) {
	date := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		body string
		want Rule
	}{
		{"expiration days, prefix filter",
			rule("r1", `<Prefix>logs/</Prefix>`, `<Expiration><Days>30</Days></Expiration>`),
			Rule{ID: "r1", Status: Enabled, Filter: &Filter{Prefix: ptr("logs/")}, Expiration: &Expiration{Days: 30}}},
		{"expiration date, empty filter",
			rule("r2", ``, `<Expiration><Date>2030-01-02T00:00:00.000Z</Date></Expiration>`),
			Rule{ID: "r2", Status: Enabled, Filter: &Filter{}, Expiration: &Expiration{Date: date}}},
		{"date without fraction, other zone at UTC midnight",
			rule("r2", ``, `<Expiration><Date>2030-01-02T01:00:00+01:00</Date></Expiration>`),
			Rule{ID: "r2", Status: Enabled, Filter: &Filter{}, Expiration: &Expiration{Date: date}}},
		{"expired object delete marker",
			rule("r3", `<Prefix></Prefix>`, `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
			Rule{ID: "r3", Status: Enabled, Filter: &Filter{Prefix: ptr("")}, Expiration: &Expiration{ExpiredObjectDeleteMarker: ptr(true)}}},
		{"noncurrent with newer versions, tag filter",
			rule("r4", `<Tag><Key>k</Key><Value>v</Value></Tag>`, `<NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>`),
			Rule{ID: "r4", Status: Enabled, Filter: &Filter{Tag: &Tag{"k", "v"}}, NoncurrentVersionExpiration: &NoncurrentVersionExpiration{5, 3}}},
		{"abort uploads",
			rule("r5", `<Prefix>tmp/</Prefix>`, `<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
			Rule{ID: "r5", Status: Enabled, Filter: &Filter{Prefix: ptr("tmp/")}, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{7}}},
		{"and with sizes and tags",
			rule("r6", `<And><Prefix>a/</Prefix><Tag><Key>x</Key><Value>1</Value></Tag><Tag><Key>y</Key><Value></Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>20</ObjectSizeLessThan></And>`, `<Expiration><Days>1</Days></Expiration>`),
			Rule{ID: "r6", Status: Enabled, Filter: &Filter{And: &And{Prefix: ptr("a/"), Tags: []Tag{{"x", "1"}, {"y", ""}}, ObjectSizeGreaterThan: ptr(int64(10)), ObjectSizeLessThan: ptr(int64(20))}}, Expiration: &Expiration{Days: 1}}},
		{"size greater than alone",
			rule("r7", `<ObjectSizeGreaterThan>0</ObjectSizeGreaterThan>`, `<Expiration><Days>1</Days></Expiration>`),
			Rule{ID: "r7", Status: Enabled, Filter: &Filter{ObjectSizeGreaterThan: ptr(int64(0))}, Expiration: &Expiration{Days: 1}}},
		{"size less than alone, disabled",
			`<Rule><ID>r8</ID><Filter><ObjectSizeLessThan>100</ObjectSizeLessThan></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
			Rule{ID: "r8", Status: Disabled, Filter: &Filter{ObjectSizeLessThan: ptr(int64(100))}, Expiration: &Expiration{Days: 1}}},
		{"legacy top-level prefix",
			`<Rule><ID>v1</ID><Prefix>old/</Prefix><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>`,
			Rule{ID: "v1", Status: Enabled, Prefix: ptr("old/"), Expiration: &Expiration{Days: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, cfg(tt.body))
			if len(c.Rules) != 1 || !reflect.DeepEqual(c.Rules[0], tt.want) {
				t.Fatalf("got %+v\nwant %+v", c.Rules, tt.want)
			}
			assertRoundTrip(t, c)
		})
	}
}

// assertRoundTrip checks Marshal then Parse gives the same configuration.
func assertRoundTrip(t *testing.T, c *Configuration) {
	t.Helper()
	b, err := Marshal(c)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	again, err := ParseBytes(b)
	if err != nil {
		t.Fatalf("re-Parse: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(c, again) {
		t.Fatalf("round trip changed the configuration:\n%+v\n%+v\n%s", c, again, b)
	}
}

func TestMarshalForm(t *testing.T) {
	c := mustParse(t, cfg(rule("r", `<Prefix>p/</Prefix>`, `<Expiration><Date>2030-01-02T00:00:00Z</Date></Expiration>`)))
	b, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>r</ID><Filter><Prefix>p/</Prefix></Filter>` +
		`<Status>Enabled</Status><Expiration><Date>2030-01-02T00:00:00.000Z</Date></Expiration></Rule></LifecycleConfiguration>`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
}

func TestParseAssignsStableIDs(t *testing.T) {
	body := cfg(`<Rule><Filter></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
		`<Rule><Filter></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	a, b := mustParse(t, body), mustParse(t, body)
	if a.Rules[0].ID == "" || a.Rules[0].ID == a.Rules[1].ID {
		t.Fatalf("IDs %q %q: want two distinct non-empty", a.Rules[0].ID, a.Rules[1].ID)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same body gave different IDs")
	}
	assertRoundTrip(t, a)
}

func TestParseErrors(t *testing.T) {
	exp1 := `<Expiration><Days>1</Days></Expiration>`
	abort := `<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`
	marker := `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`
	many := make([]string, MaxRules+1)
	for i := range many {
		many[i] = rule(fmt.Sprint("r", i), ``, exp1)
	}
	tests := []struct {
		name, body, code, msg string
	}{
		{"not xml", `<LifecycleConfiguration>`, "MalformedXML", ""},
		{"wrong root", `<Lifecycle>` + rule("r", ``, exp1) + `</Lifecycle>`, "MalformedXML", ""},
		{"no rules", cfg(), "MalformedXML", ""},
		{"trailing garbage", cfg(rule("r", ``, exp1)) + `<x/>`, "MalformedXML", ""},
		{"unknown element in rule", cfg(rule("r", ``, exp1+`<Bogus/>`)), "MalformedXML", ""},
		{"unknown element in config", cfg(rule("r", ``, exp1), `<Bogus/>`), "MalformedXML", ""},
		{"missing status", cfg(`<Rule><ID>r</ID><Filter/>` + exp1 + `</Rule>`), "MalformedXML", ""},
		{"bad status", cfg(`<Rule><ID>r</ID><Filter/><Status>enabled</Status>` + exp1 + `</Rule>`), "MalformedXML", ""},
		{"neither filter nor prefix", cfg(`<Rule><ID>r</ID><Status>Enabled</Status>` + exp1 + `</Rule>`), "MalformedXML", ""},
		{"two expirations", cfg(rule("r", ``, exp1+exp1)), "MalformedXML", ""},
		{"filter with prefix and tag", cfg(rule("r", `<Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>`, exp1)), "MalformedXML", ""},
		{"filter with two sizes outside And", cfg(rule("r", `<ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>5</ObjectSizeLessThan>`, exp1)), "MalformedXML", ""},
		{"tag without key", cfg(rule("r", `<Tag><Value>v</Value></Tag>`, exp1)), "MalformedXML", ""},
		{"days not a number", cfg(rule("r", ``, `<Expiration><Days>ten</Days></Expiration>`)), "MalformedXML", ""},
		{"days overflow", cfg(rule("r", ``, `<Expiration><Days>99999999999</Days></Expiration>`)), "MalformedXML", ""},
		{"days and date", cfg(rule("r", ``, `<Expiration><Days>1</Days><Date>2030-01-02T00:00:00Z</Date></Expiration>`)), "MalformedXML", ""},
		{"empty expiration", cfg(rule("r", ``, `<Expiration></Expiration>`)), "MalformedXML", ""},
		{"bad date", cfg(rule("r", ``, `<Expiration><Date>tomorrow</Date></Expiration>`)), "MalformedXML", ""},
		{"bad marker value", cfg(rule("r", ``, `<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker></Expiration>`)), "MalformedXML", ""},
		{"noncurrent without days", cfg(rule("r", ``, `<NoncurrentVersionExpiration><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)), "MalformedXML", ""},
		{"abort without days", cfg(rule("r", ``, `<AbortIncompleteMultipartUpload></AbortIncompleteMultipartUpload>`)), "MalformedXML", ""},

		{"days zero", cfg(rule("r", ``, `<Expiration><Days>0</Days></Expiration>`)), "InvalidArgument", msgDaysPositive},
		{"days negative", cfg(rule("r", ``, `<Expiration><Days>-3</Days></Expiration>`)), "InvalidArgument", msgDaysPositive},
		{"date not midnight", cfg(rule("r", ``, `<Expiration><Date>2030-01-02T10:00:00Z</Date></Expiration>`)), "InvalidArgument", msgDateMidnight},
		{"date midnight elsewhere only", cfg(rule("r", ``, `<Expiration><Date>2030-01-02T00:00:00+02:00</Date></Expiration>`)), "InvalidArgument", msgDateMidnight},
		{"no action", cfg(rule("r", ``, ``)), "InvalidArgument", msgNoAction},
		{"marker with days", cfg(rule("r", ``, `<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)), "InvalidArgument", msgMarkerWithDays},
		{"marker with date", cfg(rule("r", ``, `<Expiration><Date>2030-01-02T00:00:00Z</Date><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>`)), "InvalidArgument", msgMarkerWithDays},
		{"noncurrent days zero", cfg(rule("r", ``, `<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>`)), "InvalidArgument", msgNoncurrentDays},
		{"newer noncurrent zero", cfg(rule("r", ``, `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)), "InvalidArgument", msgNewerNoncurrent},
		{"abort days zero", cfg(rule("r", ``, `<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>`)), "InvalidArgument", msgAbortDays},
		{"duplicate id", cfg(rule("same", ``, exp1), rule("same", ``, exp1)), "InvalidArgument", msgDuplicateID},
		{"id too long", cfg(rule(strings.Repeat("é", MaxIDLength+1), ``, exp1)), "InvalidArgument", msgIDTooLong},

		{"too many rules", cfg(many...), "InvalidRequest", msgTooManyRules},
		{"abort with tag", cfg(rule("r", `<Tag><Key>k</Key><Value>v</Value></Tag>`, abort)), "InvalidRequest", msgAbortWithTags},
		{"abort with and tags", cfg(rule("r", `<And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And>`, abort)), "InvalidRequest", msgAbortWithTags},
		{"abort with size", cfg(rule("r", `<ObjectSizeGreaterThan>5</ObjectSizeGreaterThan>`, abort)), "InvalidRequest", msgAbortWithSize},
		{"marker with tag", cfg(rule("r", `<Tag><Key>k</Key><Value>v</Value></Tag>`, marker)), "InvalidRequest", msgMarkerWithTags},
		{"marker with size", cfg(rule("r", `<ObjectSizeLessThan>5</ObjectSizeLessThan>`, marker)), "InvalidRequest", msgMarkerWithSize},
		{"duplicate tag key", cfg(rule("r", `<And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And>`, exp1)), "InvalidRequest", msgDuplicateTagKey},
		{"size greater negative", cfg(rule("r", `<ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan>`, exp1)), "InvalidRequest", msgSizeGreaterRange},
		{"size less zero", cfg(rule("r", `<ObjectSizeLessThan>0</ObjectSizeLessThan>`, exp1)), "InvalidRequest", msgSizeLessRange},
		{"size less over max", cfg(rule("r", `<ObjectSizeLessThan>1099511627776001</ObjectSizeLessThan>`, exp1)), "InvalidRequest", msgSizeLessRange},
		{"size order", cfg(rule("r", `<And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And>`, exp1)), "InvalidRequest", msgSizeOrder},
		{"prefix in v2", cfg(rule("a", ``, exp1), `<Rule><ID>b</ID><Prefix>x</Prefix><Status>Enabled</Status>`+exp1+`</Rule>`), "InvalidRequest", msgPrefixInV2},
		{"filter in v1", cfg(`<Rule><ID>b</ID><Prefix>x</Prefix><Status>Enabled</Status>`+exp1+`</Rule>`, rule("a", ``, exp1)), "InvalidRequest", msgFilterInV1},
		{"newer noncurrent in v1", cfg(`<Rule><ID>b</ID><Prefix>x</Prefix><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`), "InvalidRequest", msgNewerNoncurrentInV1},

		{"overlapping v1 prefixes", cfg(`<Rule><ID>a</ID><Prefix>logs/</Prefix><Status>Enabled</Status>`+exp1+`</Rule>`, `<Rule><ID>b</ID><Prefix>logs/old/</Prefix><Status>Disabled</Status>`+exp1+`</Rule>`), "InvalidRequest", "Found overlapping prefixes 'logs/' and 'logs/old/' for same action type 'Expiration'"},
		{"equal v1 prefixes", cfg(`<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status>`+abort+`</Rule>`, `<Rule><ID>b</ID><Prefix>x</Prefix><Status>Enabled</Status>`+abort+`</Rule>`), "InvalidRequest", "Found overlapping prefixes 'x' and 'x' for same action type 'AbortIncompleteMultipartUpload'"},
		{"transition", cfg(rule("r", ``, `<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`)), "NotImplemented", ErrNotImplemented.Message},
		{"noncurrent transition with expiration", cfg(rule("r", ``, exp1+`<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>`)), "NotImplemented", ErrNotImplemented.Message},
		{"transition loses to an earlier fault", cfg(rule("r", ``, `<Expiration><Days>0</Days></Expiration><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`)), "InvalidArgument", msgDaysPositive},
	}
	sentinel := map[string]error{"MalformedXML": ErrMalformedXML, "InvalidArgument": ErrInvalidArgument,
		"InvalidRequest": ErrInvalidRequest, "NotImplemented": ErrNotImplemented}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBytes([]byte(tt.body))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error %s", err, tt.code)
			}
			if e.Code != tt.code || !errors.Is(err, sentinel[tt.code]) {
				t.Fatalf("code = %s (%s), want %s", e.Code, e.Message, tt.code)
			}
			if tt.msg != "" && e.Message != tt.msg {
				t.Fatalf("message = %q, want %q", e.Message, tt.msg)
			}
			wantStatus := http.StatusBadRequest
			if tt.code == "NotImplemented" {
				wantStatus = http.StatusNotImplemented
			}
			if e.Status != wantStatus {
				t.Fatalf("status = %d, want %d", e.Status, wantStatus)
			}
		})
	}
}

// V1 rules with overlapping prefixes are fine when they take different
// actions; V2 rules may overlap freely.
func TestParseOverlapAllowed(t *testing.T) {
	exp1 := `<Expiration><Days>1</Days></Expiration>`
	nc := `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`
	mustParse(t, cfg(`<Rule><ID>a</ID><Prefix>logs/</Prefix><Status>Enabled</Status>`+exp1+`</Rule>`,
		`<Rule><ID>b</ID><Prefix>logs/old/</Prefix><Status>Enabled</Status>`+nc+`</Rule>`,
		`<Rule><ID>c</ID><Prefix>tmp/</Prefix><Status>Enabled</Status>`+exp1+`</Rule>`))
	mustParse(t, cfg(rule("a", `<Prefix>logs/</Prefix>`, exp1), rule("b", `<Prefix>logs/old/</Prefix>`, exp1)))
}

func TestParseLimits(t *testing.T) {
	// Exactly MaxRules rules is accepted.
	rules := make([]string, MaxRules)
	for i := range rules {
		rules[i] = rule(fmt.Sprint("r", i), ``, `<Expiration><Days>1</Days></Expiration>`)
	}
	if c := mustParse(t, cfg(rules...)); len(c.Rules) != MaxRules {
		t.Fatalf("got %d rules", len(c.Rules))
	}
	// A 255-character ID is accepted.
	mustParse(t, cfg(rule(strings.Repeat("é", MaxIDLength), ``, `<Expiration><Days>1</Days></Expiration>`)))
	// A body over the limit is refused without reading it all.
	big := bytes.Repeat([]byte(" "), MaxBodyBytes+1)
	r := &countingReader{data: big}
	if _, err := Parse(r); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	if r.read > MaxBodyBytes+1 {
		t.Fatalf("read %d bytes, want at most %d", r.read, MaxBodyBytes+1)
	}
}

type countingReader struct {
	data []byte
	read int
}

func (r *countingReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.read:])
	r.read += n
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}
