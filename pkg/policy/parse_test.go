package policy

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const (
	testBucket = "photos"
	testOwner  = "acme"
)

// doc wraps statements in a 2012-10-17 policy.
func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

func mustParse(t *testing.T, d string) *Policy {
	t.Helper()
	p, err := Parse([]byte(d), testBucket, testOwner)
	if err != nil {
		t.Fatalf("Parse(%s): %v", d, err)
	}
	return p
}

func TestParseMalformed(t *testing.T) {
	okStmt := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`
	cases := []struct {
		name, doc, reason string
		unsupported       bool
	}{
		{"empty", ``, reasonFirstByte, false},
		{"not an object", `["x"]`, reasonFirstByte, false},
		{"broken json", `{"Version":`, reasonInvalidJSON, false},
		{"trailing garbage", `{"Statement":[]} x`, reasonInvalidJSON, false},
		{"too large", `{"Id":"` + strings.Repeat("x", MaxSize) + `","Statement":[` + okStmt + `]}`, reasonTooLarge, false},
		{"too large raw", `{` + strings.Repeat(" ", MaxDocumentBytes) + `}`, reasonTooLarge, false},
		{"missing statement", `{"Version":"2012-10-17"}`, reasonMissingStatement, false},
		{"empty statement", `{"Version":"2012-10-17","Statement":[]}`, reasonEmptyStatement, false},
		{"bad version", `{"Version":"2012-10-18","Statement":[` + okStmt + `]}`, reasonInvalidVersion, false},
		{"numeric version", `{"Version":2012,"Statement":[` + okStmt + `]}`, reasonInvalidVersion, false},
		{"unknown top field", `{"Version":"2012-10-17","Statment":[],"Statement":[` + okStmt + `]}`, "Unknown field Statment", false},
		{"field case matters", `{"version":"2012-10-17","Statement":[` + okStmt + `]}`, "Unknown field version", false},
		{"unknown statement field", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","condition":{}}`), "Unknown field condition", false},
		{"missing effect", doc(`{"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonMissingEffect, false},
		{"bad effect", doc(`{"Effect":"hello","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), "Invalid effect: hello", false},
		{"effect case", doc(`{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), "Invalid effect: allow", false},
		{"missing principal", doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonMissingPrincipal, false},
		{"not principal", doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"acme"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonNotPrincipal, true},
		{"principal string", doc(`{"Effect":"Allow","Principal":"acme","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidPrincipal, false},
		{"principal other tenant", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::other:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidPrincipal, false},
		{"principal user arn", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::acme:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidPrincipal, false},
		{"principal service", doc(`{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidPrincipal, false},
		{"canonical user other", doc(`{"Effect":"Allow","Principal":{"CanonicalUser":"other"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidPrincipal, false},
		{"canonical user star", doc(`{"Effect":"Allow","Principal":{"CanonicalUser":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidPrincipal, false},
		{"principal empty list", doc(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidPrincipal, false},
		{"missing action", doc(`{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::photos/*"}`), reasonMissingAction, false},
		{"empty action list", doc(`{"Effect":"Allow","Principal":"*","Action":[],"Resource":"arn:aws:s3:::photos/*"}`), reasonMissingAction, false},
		{"invalid action", doc(`{"Effect":"Allow","Principal":"*","Action":"invalid_action","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidAction, false},
		{"other service", doc(`{"Effect":"Allow","Principal":"*","Action":"iam:GetUser","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidAction, false},
		{"unknown s3 action", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObjects","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidAction, false},
		{"wildcard naming nothing", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:Frob*","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidAction, false},
		{"missing resource", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}`), reasonMissingResource, false},
		{"resource not arn", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"photos/*"}`), reasonInvalidResource, false},
		{"resource star", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), reasonInvalidResource, false},
		{"resource other bucket", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}`), reasonInvalidResource, false},
		{"resource any bucket", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}`), reasonInvalidResource, false},
		{"resource bucket prefix", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos-old/*"}`), reasonInvalidResource, false},
		{"object action on bucket", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos"}`), reasonActionNotApply, false},
		{"bucket action on objects", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos/*"}`), reasonActionNotApply, false},
		{"one of two actions misplaced", doc(`{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::photos/*"}`), reasonActionNotApply, false},
		{"account action", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListAllMyBuckets","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}`), reasonActionNotApply, false},
		{"action and notaction", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidJSON, false},
		{"unknown operator", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEqualz":{"aws:UserAgent":"x"}}}`), "Invalid Condition type : StringEqualz", false},
		{"null ifexists", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"NullIfExists":{"aws:UserAgent":"true"}}}`), "Invalid Condition type : NullIfExists", false},
		{"binary operator", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"BinaryEquals":{"aws:UserAgent":"eA=="}}}`), reasonUnsupportedCondOp + "BinaryEquals", true},
		{"unknown s3 key", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"s3:x-acl":"private"}}}`), reasonInvalidCondKey, false},
		{"unprefixed key", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"SourceIp":"x"}}}`), reasonInvalidCondKey, false},
		{"tag key without tag", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/":"x"}}}`), reasonInvalidCondKey, false},
		{"bad ip", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"IpAddress":{"aws:SourceIp":"123"}}}`), reasonInvalidIP, false},
		{"bad number", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}`), reasonInvalidCondValue + "NumericLessThan", false},
		{"bad date", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}`), reasonInvalidCondValue + "DateLessThan", false},
		{"bad bool", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), reasonInvalidCondValue + "Bool", false},
		{"empty condition values", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"aws:UserAgent":[]}}}`), reasonInvalidCondValue + "StringEquals", false},
		{"object condition value", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"aws:UserAgent":{"a":"b"}}}}`), reasonInvalidJSON, false},
		{"condition not object", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":"x"}`), reasonInvalidJSON, false},
		{"statement not object", doc(`"x"`), reasonInvalidJSON, false},
		{"statement null", doc(`null`), reasonInvalidJSON, false},
		{"effect number", doc(`{"Effect":1,"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`), reasonInvalidJSON, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc), testBucket, testOwner)
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a *MalformedError", err)
			}
			if me.Reason != c.reason {
				t.Fatalf("reason = %q, want %q", me.Reason, c.reason)
			}
			if errors.Is(err, ErrUnsupported) != c.unsupported || errors.Is(err, ErrMalformedPolicy) == c.unsupported {
				t.Fatalf("unsupported classification wrong for %v", err)
			}
		})
	}
}

func TestParseForms(t *testing.T) {
	// Statement as an object, no Version (2008-10-17), Principal {"AWS":"*"},
	// the owner by ARN and by name, Action any case, NotAction/NotResource.
	p := mustParse(t, `{"Id":"x","Statement":{"Sid":"one","Effect":"Allow","Principal":{"AWS":["*","arn:aws:iam::acme:root","acme"]},"Action":"S3:getobject","Resource":"arn:aws:s3:::photos/*"}}`)
	if p.Version != Version2008 || p.ID != "x" || len(p.Statements) != 1 {
		t.Fatalf("policy = %+v", p)
	}
	s := p.Statements[0]
	if !s.Principal.Any || !reflect.DeepEqual(s.Principal.Tenants, []string{"acme"}) || s.Sid != "one" {
		t.Fatalf("statement = %+v", s)
	}
	p = mustParse(t, doc(`{"Effect":"Allow","Principal":{"CanonicalUser":"acme"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`))
	if s := p.Statements[0]; s.Principal.Any || !reflect.DeepEqual(s.Principal.Tenants, []string{"acme"}) {
		t.Fatalf("canonical user: %+v", s.Principal)
	}
	p = mustParse(t, doc(`{"Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","NotResource":"arn:aws:s3:::photos/public/*"}`))
	if s := p.Statements[0]; !s.NotAction || !s.NotResource {
		t.Fatalf("statement = %+v", s)
	}
	// s3:* and s3:Get* apply to both resources, so either resource alone is fine.
	mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos"}`))
	mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":["s3:Get*"],"Resource":"arn:aws:s3:::photos/*"}`))
	mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos/a/b*"}`))
	// Both actions with both resources.
	mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}`))
	// Numbers and booleans as condition values; every aws: key is accepted.
	p = mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos","Condition":{"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"StringEquals":{"aws:SomeFutureKey":"x"}}}`))
	if got := p.Statements[0].Conditions; len(got) != 3 || got[0].Operator != "Bool" || got[0].Values[0] != "true" || got[1].Values[0] != "10" {
		t.Fatalf("conditions = %+v", got)
	}
	// Pretty-printed just under the limit when compacted is accepted.
	pad := strings.Repeat(" ", 30000)
	mustParse(t, `{`+pad+`"Version":"2012-10-17",`+pad+`"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`)
}

func TestMarshalRoundTrip(t *testing.T) {
	d := doc(
		`{"Sid":"read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.1"]},"StringLike":{"aws:Referer":"https://example.com/*"}}}`,
		`{"Effect":"Deny","Principal":{"AWS":"acme"},"NotAction":["s3:Get*","s3:List*"],"NotResource":"arn:aws:s3:::photos/keep/*"}`,
	)
	p := mustParse(t, d)
	out, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(out, testBucket, testOwner)
	if err != nil {
		t.Fatalf("reparse of %s: %v", out, err)
	}
	out2, _ := q.MarshalJSON()
	if !bytes.Equal(out, out2) {
		t.Fatalf("marshal not stable:\n%s\n%s", out, out2)
	}
	if !strings.Contains(string(out), `"Principal":{"AWS":["arn:aws:iam::acme:root"]}`) {
		t.Fatalf("tenant principal not written as its ARN: %s", out)
	}
}

// FuzzParsePolicy: Parse never panics, and what it accepts marshals to a
// document it accepts again and that marshals to the same bytes.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`)))
	f.Add([]byte(`{"Statement":{"Effect":"Deny","Principal":{"AWS":["*","acme"]},"NotAction":"s3:Put*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"],"Condition":{"ForAnyValue:StringLikeIfExists":{"s3:prefix":["a*",1,true]},"NotIpAddress":{"aws:SourceIp":"::1"},"Null":{"s3:ExistingObjectTag/x":"true"}}}}`))
	f.Add([]byte(`{"Version":"2008-10-17","Id":"i","Statement":[{"Sid":"s","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos","Condition":{"NumericLessThan":{"s3:max-keys":"10"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`))
	f.Add([]byte(`{"Statement":[]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, testBucket, testOwner)
		if err != nil {
			if !errors.Is(err, ErrMalformedPolicy) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		q, err := Parse(out, testBucket, testOwner)
		if err != nil {
			t.Fatalf("reparse of %s (from %q): %v", out, data, err)
		}
		out2, err := q.MarshalJSON()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
		// Evaluation of anything accepted never panics either.
		p.Evaluate(Request{Action: "s3:GetObject", Bucket: testBucket, Key: "a"})
		p.Evaluate(Request{Action: "s3:ListBucket", Bucket: testBucket, Principal: testOwner, Values: map[string][]string{"s3:prefix": {"a"}}})
	})
}
