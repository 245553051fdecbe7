package cors

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func rulesXML(rules ...string) string {
	return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</CORSConfiguration>`
}

func TestParseValid(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration>
  <CORSRule>
    <ID>web</ID>
    <AllowedOrigin>http://*.example.com</AllowedOrigin>
    <AllowedOrigin>https://app.example.org</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>x-amz-*</AllowedHeader>
    <AllowedHeader>Content-Type</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
  <!-- a comment is fine -->
  <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
</CORSConfiguration>`
	c, err := Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	age := 3000
	want := &Configuration{Rules: []Rule{
		{ID: "web", AllowedOrigins: []string{"http://*.example.com", "https://app.example.org"},
			AllowedMethods: []string{"PUT", "POST"}, AllowedHeaders: []string{"x-amz-*", "Content-Type"},
			ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: &age},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestParseErrors(t *testing.T) {
	ok := `<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`
	rule := func(inner string) string { return "<CORSRule>" + inner + "</CORSRule>" }
	tooMany := make([]string, MaxRules+1)
	for i := range tooMany {
		tooMany[i] = rule(ok)
	}
	cases := []struct {
		name, body, code, msg string
	}{
		{"not xml", "hello", "MalformedXML", ErrMalformedXML.Message},
		{"empty", "", "MalformedXML", ErrMalformedXML.Message},
		{"wrong root", "<Foo>" + rule(ok) + "</Foo>", "MalformedXML", ErrMalformedXML.Message},
		{"no rules", rulesXML(), "MalformedXML", ErrMalformedXML.Message},
		{"unclosed", "<CORSConfiguration>" + rule(ok), "MalformedXML", ErrMalformedXML.Message},
		{"two roots", rulesXML(rule(ok)) + rulesXML(rule(ok)), "MalformedXML", ErrMalformedXML.Message},
		{"trailing text", rulesXML(rule(ok)) + "x", "MalformedXML", ErrMalformedXML.Message},
		{"unknown element", rulesXML(rule(ok + "<Foo>1</Foo>")), "MalformedXML", ErrMalformedXML.Message},
		{"unknown top element", rulesXML(rule(ok), "<Other/>"), "MalformedXML", ErrMalformedXML.Message},
		{"nested markup", rulesXML(rule("<AllowedOrigin><b>x</b></AllowedOrigin><AllowedMethod>GET</AllowedMethod>")), "MalformedXML", ErrMalformedXML.Message},
		{"text in rule", rulesXML(rule(ok + "junk")), "MalformedXML", ErrMalformedXML.Message},
		{"no method", rulesXML(rule(`<AllowedOrigin>*</AllowedOrigin>`)), "MalformedXML", ErrMalformedXML.Message},
		{"no origin", rulesXML(rule(`<AllowedMethod>GET</AllowedMethod>`)), "MalformedXML", ErrMalformedXML.Message},
		{"bad max age", rulesXML(rule(ok + "<MaxAgeSeconds>ten</MaxAgeSeconds>")), "MalformedXML", ErrMalformedXML.Message},
		{"negative max age", rulesXML(rule(ok + "<MaxAgeSeconds>-1</MaxAgeSeconds>")), "MalformedXML", ErrMalformedXML.Message},
		{"two max ages", rulesXML(rule(ok + "<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds>")), "MalformedXML", ErrMalformedXML.Message},
		{"two ids", rulesXML(rule(ok + "<ID>a</ID><ID>b</ID>")), "MalformedXML", ErrMalformedXML.Message},
		{"too many rules", rulesXML(tooMany...), "MalformedXML", ErrMalformedXML.Message},
		{"unsupported method", rulesXML(rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PATCH</AllowedMethod>`)),
			"InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
		{"lower-case method", rulesXML(rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>`)),
			"InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is get"},
		{"two origin wildcards", rulesXML(rule(`<AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`)),
			"InvalidRequest", `AllowedOrigin "http://*.*.com" can not have more than one wildcard.`},
		{"two header wildcards", rulesXML(rule(ok + `<AllowedHeader>*-*</AllowedHeader>`)),
			"InvalidRequest", `AllowedHeader "*-*" can not have more than one wildcard.`},
		{"expose wildcard", rulesXML(rule(ok + `<ExposeHeader>x-amz-*</ExposeHeader>`)),
			"InvalidRequest", `ExposeHeader "x-amz-*" contains wildcard. We currently do not support wildcard for ExposeHeader.`},
		{"long id", rulesXML(rule(ok + "<ID>" + strings.Repeat("i", 256) + "</ID>")),
			"InvalidRequest", "The ID of a CORSRule can not be longer than 255 characters."},
		{"too large", rulesXML(rule(ok+"<ID>x</ID>"), strings.Repeat(" ", MaxConfigSize)), "EntityTooLarge", ErrTooLarge.Message},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.body))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if ce.Code != tc.code || ce.Message != tc.msg || ce.Status != 400 {
				t.Fatalf("got %d %s %q, want 400 %s %q", ce.Status, ce.Code, ce.Message, tc.code, tc.msg)
			}
		})
	}
}

func TestParseAtLimits(t *testing.T) {
	rules := make([]string, MaxRules)
	for i := range rules {
		rules[i] = fmt.Sprintf("<CORSRule><ID>%d</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>", i)
	}
	body := rulesXML(rules...)
	body += strings.Repeat(" ", MaxConfigSize-len(body))
	c, err := Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("exactly %d rules in exactly %d bytes: %v", MaxRules, MaxConfigSize, err)
	}
	if len(c.Rules) != MaxRules || c.Rules[99].ID != "99" {
		t.Fatalf("rules = %d", len(c.Rules))
	}
}

// errReader fails every read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := Parse(errReader{boom}); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	age := 60
	c := &Configuration{Rules: []Rule{
		{ID: "a&b", AllowedHeaders: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"},
			AllowedOrigins: []string{"https://<x>.example"}, ExposeHeaders: []string{"ETag", "x-amz-request-id"}, MaxAgeSeconds: &age},
		{AllowedMethods: []string{"PUT"}, AllowedOrigins: []string{"*"}},
	}}
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<CORSRule><ID>a&amp;b</ID><AllowedHeader>*</AllowedHeader><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>` +
		`<AllowedOrigin>https://&lt;x&gt;.example</AllowedOrigin><ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-request-id</ExposeHeader>` +
		`<MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>` +
		`<CORSRule><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	back, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip: got %+v want %+v", back, c)
	}
}
