package postpolicy

import (
	"encoding/base64"
	"reflect"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy(policyB64(testNow.Add(time.Hour),
		`{"bucket": "photos"}`, `["starts-with", "$Key", "user/"]`, `["eq", "$acl", "public-read"]`,
		`["content-length-range", 1, 1048576]`, `["content-length-range", "10", "20"]`, `["STARTS-WITH", "$Content-Type", ""]`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Expiration.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("expiration %v", p.Expiration)
	}
	want := []Condition{
		{Op: "eq", Field: "bucket", Value: "photos", text: `["eq", "$bucket", "photos"]`},
		{Op: "starts-with", Field: "key", Value: "user/", text: `["starts-with", "$Key", "user/"]`},
		{Op: "eq", Field: "acl", Value: "public-read", text: `["eq", "$acl", "public-read"]`},
		{Op: "content-length-range", Min: 1, Max: 1048576, text: `["content-length-range", 1, 1048576]`},
		{Op: "content-length-range", Min: 10, Max: 20, text: `["content-length-range", "10", "20"]`},
		{Op: "starts-with", Field: "content-type", Value: "", text: `["STARTS-WITH", "$Content-Type", ""]`},
	}
	if !reflect.DeepEqual(p.Conditions, want) {
		t.Fatalf("conditions\n%+v\nwant\n%+v", p.Conditions, want)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	exp := testNow.Add(time.Hour)
	raw := func(doc string) string { return base64.StdEncoding.EncodeToString([]byte(doc)) }
	cases := []struct{ name, b64, msg string }{
		{"not base64", "%%%", "Invalid Policy: invalid Base64 encoding."},
		{"not json", raw("{expiration"), "Invalid Policy: Invalid JSON."},
		{"trailing data", raw(`{"expiration": "2030-01-01T00:00:00Z", "conditions": []} x`), "Invalid Policy: Invalid JSON."},
		{"array document", raw(`[]`), "Invalid Policy: Invalid JSON."},
		{"null document", raw(`null`), "Invalid Policy: Invalid JSON."},
		{"unexpected member", raw(`{"Version": "2012-10-17", "Statement": []}`), "Invalid Policy: Unexpected: 'statement'"},
		{"member names are case-sensitive", raw(`{"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []}`), "Invalid Policy: Unexpected: 'expiration'"},
		{"no expiration", raw(`{"conditions": []}`), "Invalid Policy: Policy missing expiration."},
		{"bad expiration", raw(`{"expiration": "tomorrow", "conditions": []}`), "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"},
		{"expiration with offset", raw(`{"expiration": "2011-09-13T07:52:58+02:00", "conditions": []}`), "Invalid Policy: Invalid 'expiration' value: '2011-09-13T07:52:58+02:00'"},
		{"expiration with a space", raw(`{"expiration": "2015-10-17 03:15:59 UTC", "conditions": []}`), "Invalid Policy: Invalid 'expiration' value: '2015-10-17 03:15:59 UTC'"},
		{"no conditions", raw(`{"expiration": "2030-01-01T00:00:00Z"}`), "Invalid Policy: Policy missing conditions."},
		{"conditions not a list", raw(`{"expiration": "2030-01-01T00:00:00Z", "conditions": {}}`), "Invalid Policy: Invalid 'conditions' value: must be a List."},
		{"two-property object", policyB64(exp, `{"a": "1", "b": "2"}`), "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{"empty object", policyB64(exp, `{}`), "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{"number value", policyB64(exp, `{"Content-Length": 6199034}`), "Invalid Policy: Invalid Simple-Condition: value must be a string."},
		{"null value", policyB64(exp, `{"success_action_redirect": null}`), "Invalid Policy: Invalid JSON."},
		{"scalar condition", policyB64(exp, `"eq"`), "Invalid Policy: Invalid condition test: must be a List or Object."},
		{"empty array", policyB64(exp, `[]`), "Invalid Policy: Invalid Condition: missing operation identifier."},
		{"numeric op", policyB64(exp, `[1, "$key", "a"]`), "Invalid Policy: Invalid Condition: missing operation identifier."},
		{"unknown op", policyB64(exp, `["ends-with", "$key", "a"]`), "Invalid Policy: Invalid Condition: unknown operation 'ends-with'."},
		{"short array", policyB64(exp, `["eq", "$key"]`), "Invalid Policy: Invalid eq: wrong number of arguments."},
		{"short range", policyB64(exp, `["content-length-range", 0]`), "Invalid Policy: Invalid content-length-range: wrong number of arguments."},
		{"non-string value", policyB64(exp, `["eq", "$key", 5]`), "Invalid Policy: Invalid JSON."},
		{"float range", policyB64(exp, `["content-length-range", 0, 512.0]`), "Invalid Policy: Invalid JSON."},
		{"huge range", policyB64(exp, `["content-length-range", 0, 99999999999999999999]`), "Invalid Policy: Invalid JSON."},
		{"negative range", policyB64(exp, `["content-length-range", -1, 0]`), "Invalid Policy: Invalid content-length-range: bounds must not be negative."},
		{"inverted range", policyB64(exp, `["content-length-range", 6, 5]`), "Invalid Policy: Invalid content-length-range: the minimum exceeds the maximum."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy(tc.b64)
			_ = wantError(t, err, "InvalidPolicyDocument", 400, tc.msg)
		})
	}
}

func TestCheck(t *testing.T) {
	exp := testNow.Add(time.Hour)
	base := []Field{{"key", "user/eric/${filename}"}, {"Content-Type", "image/png"}, {"x-amz-meta-tag", "t1"}, {"policy", "p"}, {"X-Amz-Signature", "s"}, {"x-ignore-me", "1"}}
	cover := []string{`{"bucket": "photos"}`, `["starts-with", "$key", "user/eric/"]`, `["starts-with", "$Content-Type", "image/"]`, `["starts-with", "$x-amz-meta-tag", ""]`}
	with := func(extra ...string) []string { return append(append([]string{}, cover...), extra...) }
	cases := []struct {
		name       string
		fields     []Field
		conditions []string
		bucket     string
		now        time.Time
		msg        string // "" when the form passes
		size       Range
	}{
		{"all covered", base, cover, "photos", testNow, "", AnySize},
		{"key after ${filename}", base, with(`["eq", "$key", "user/eric/photo.png"]`), "photos", testNow, "", AnySize},
		{"range", base, with(`["content-length-range", 10, 100]`, `["content-length-range", 20, 200]`), "photos", testNow, "", Range{20, 100}},
		{"expired", base, cover, "photos", exp, "Invalid according to Policy: Policy expired.", Range{}},
		{"wrong bucket", base, cover, "other", testNow, `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "photos"]`, Range{}},
		{"key prefix", []Field{{"key", "user/bob/x"}, {"Content-Type", "image/png"}}, cover[:3], "photos", testNow,
			`Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/eric/"]`, Range{}},
		{"eq key", base, with(`["eq", "$key", "x"]`), "photos", testNow, `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "x"]`, Range{}},
		{"content type each value", []Field{{"key", "user/eric/a"}, {"content-type", "image/png, text/html"}}, cover[:3], "photos", testNow,
			`Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]`, Range{}},
		{"content type all values", []Field{{"key", "user/eric/a"}, {"content-type", "image/png,image/jpeg"}}, cover[:3], "photos", testNow, "", AnySize},
		{"eq content type is whole", []Field{{"key", "user/eric/a"}, {"content-type", "image/png,image/jpeg"}},
			[]string{`["starts-with", "$key", ""]`, `{"Content-Type": "image/png,image/jpeg"}`}, "photos", testNow, "", AnySize},
		{"missing field fails eq", []Field{{"key", "k"}}, []string{`["starts-with", "$key", ""]`, `{"acl": "private"}`}, "b", testNow,
			`Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "private"]`, Range{}},
		{"missing field fails even empty starts-with", []Field{{"key", "k"}}, []string{`["starts-with", "$key", ""]`, `["starts-with", "$Content-Type", ""]`}, "b", testNow,
			`Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", ""]`, Range{}},
		{"field without $ never matches", []Field{{"key", "k"}, {"success_action_redirect", "http://a.test/"}}, []string{`["starts-with", "$key", ""]`, `["eq", "success_action_redirect", "http://a.test/"]`}, "b", testNow,
			`Invalid according to Policy: Policy Condition failed: ["eq", "success_action_redirect", "http://a.test/"]`, Range{}},
		{"values are case-sensitive", []Field{{"key", "k"}, {"success_action_redirect", "HTTP://a.test/"}}, []string{`["starts-with", "$key", ""]`, `["eq", "$success_Action_REDIRECT", "http://a.test/"]`}, "b", testNow,
			`Invalid according to Policy: Policy Condition failed: ["eq", "$success_Action_REDIRECT", "http://a.test/"]`, Range{}},
		{"string range bounds", []Field{{"key", "k"}}, []string{`["starts-with", "$key", ""]`, `["content-length-range", "5", "10"]`}, "b", testNow, "", Range{5, 10}},
		{"non-numeric range bound", []Field{{"key", "k"}}, []string{`["starts-with", "$key", ""]`, `["content-length-range", "test", "10"]`}, "b", testNow,
			`Invalid according to Policy: Policy Condition failed: ["content-length-range", "test", "10"]`, Range{}},
		{"extra fields", append(append([]Field{}, base...), Field{"acl", "public-read"}, Field{"X-Amz-Meta-Other", "o"}), cover, "photos", testNow,
			"Invalid according to Policy: Extra input fields: acl, X-Amz-Meta-Other", Range{}},
		{"condition names are case-insensitive", []Field{{"KEY", "user/eric/a"}, {"SUCCESS_ACTION_STATUS", "201"}}, []string{`["starts-with", "$Key", "user/"]`, `{"Success_Action_Status": "201"}`}, "b", testNow, "", AnySize},
		{"v2 fields exempt", []Field{{"key", "k"}, {"AWSAccessKeyId", "a"}, {"Signature", "s"}}, []string{`["starts-with", "$key", ""]`}, "b", testNow, "", AnySize},
		{"v4 fields need conditions", []Field{{"key", "k"}, {"x-amz-credential", "c"}, {"x-amz-date", "d"}, {"x-amz-algorithm", "AWS4-HMAC-SHA256"}}, []string{`["starts-with", "$key", ""]`, `{"x-amz-algorithm": "AWS4-HMAC-SHA256"}`}, "b", testNow,
			"Invalid according to Policy: Extra input fields: x-amz-credential, x-amz-date", Range{}},
		{"redirect", []Field{{"key", "k"}, {"success_action_redirect", "https://app.test/done"}}, []string{`["starts-with", "$key", ""]`, `["starts-with", "$success_action_redirect", "https://app.test/"]`}, "b", testNow, "", AnySize},
		{"redirect elsewhere", []Field{{"key", "k"}, {"redirect", "https://evil.test/"}}, []string{`["starts-with", "$key", ""]`, `["starts-with", "$redirect", "https://app.test/"]`}, "b", testNow,
			`Invalid according to Policy: Policy Condition failed: ["starts-with", "$redirect", "https://app.test/"]`, Range{}},
		{"escaped quote in message", []Field{{"key", "k"}}, []string{`["eq", "$key", "a\"b"]`}, "b", testNow,
			`Invalid according to Policy: Policy Condition failed: ["eq", "$key", "a\"b"]`, Range{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(policyB64(exp, tc.conditions...))
			if err != nil {
				t.Fatal(err)
			}
			f := mustForm(t, tc.fields, []byte("file"))
			size, err := p.Check(f, tc.bucket, tc.now)
			if tc.msg != "" {
				_ = wantError(t, err, "AccessDenied", 403, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if size != tc.size {
				t.Fatalf("size %v, want %v", size, tc.size)
			}
		})
	}
}
