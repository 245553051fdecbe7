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
		{Op: "content-length-range", Min: 1, Max: 1048576},
		{Op: "content-length-range", Min: 10, Max: 20},
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
		{"not base64", "%%%", "Invalid Policy: Invalid Base64 Encoding."},
		{"not json", raw("{expiration"), "Invalid Policy: Invalid JSON."},
		{"trailing data", raw(`{"expiration": "2030-01-01T00:00:00Z", "conditions": []} x`), "Invalid Policy: Invalid JSON."},
		{"array document", raw(`[]`), "Invalid Policy: Invalid JSON."},
		{"no expiration", raw(`{"conditions": []}`), "Invalid Policy: Policy missing expiration."},
		{"bad expiration", raw(`{"expiration": "tomorrow", "conditions": []}`), "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"},
		{"no conditions", raw(`{"expiration": "2030-01-01T00:00:00Z"}`), "Invalid Policy: Policy missing conditions."},
		{"two-property object", policyB64(exp, `{"a": "1", "b": "2"}`), "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{"empty object", policyB64(exp, `{}`), "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{"number value", policyB64(exp, `{"acl": 1}`), "Invalid Policy: Invalid Simple-Condition: value must be a string."},
		{"scalar condition", policyB64(exp, `"eq"`), "Invalid Policy: Invalid Condition: a condition must be an object or an array."},
		{"short array", policyB64(exp, `["eq", "$key"]`), "Invalid Policy: Invalid Condition: a condition array must have 3 elements."},
		{"numeric op", policyB64(exp, `[1, "$key", "a"]`), "Invalid Policy: Invalid Condition: the operation must be a string."},
		{"unknown op", policyB64(exp, `["ends-with", "$key", "a"]`), "Invalid Policy: Invalid Condition: unknown operation 'ends-with'."},
		{"field without $", policyB64(exp, `["eq", "key", "a"]`), "Invalid Policy: Invalid Condition: the field must be a string starting with '$'."},
		{"bare $", policyB64(exp, `["eq", "$", "a"]`), "Invalid Policy: Invalid Condition: the field must be a string starting with '$'."},
		{"non-string value", policyB64(exp, `["eq", "$key", 5]`), "Invalid Policy: Invalid Condition: the value must be a string."},
		{"float range", policyB64(exp, `["content-length-range", 0, 512.0]`), "Invalid Policy: Invalid content-length-range: bounds must be integers with 0 <= min <= max."},
		{"negative range", policyB64(exp, `["content-length-range", -1, 5]`), "Invalid Policy: Invalid content-length-range: bounds must be integers with 0 <= min <= max."},
		{"inverted range", policyB64(exp, `["content-length-range", 6, 5]`), "Invalid Policy: Invalid content-length-range: bounds must be integers with 0 <= min <= max."},
		{"huge range", policyB64(exp, `["content-length-range", 0, 99999999999999999999]`), "Invalid Policy: Invalid content-length-range: bounds must be integers with 0 <= min <= max."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy(tc.b64)
			wantError(t, err, "InvalidPolicyDocument", 400, tc.msg)
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
		{"key after ${filename}", base, with(`["eq", "$key", "user/eric/cat.png"]`), "photos", testNow, "", AnySize},
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
		{"missing field passes empty starts-with", []Field{{"key", "k"}}, []string{`["starts-with", "$key", ""]`, `["starts-with", "$acl", ""]`}, "b", testNow, "", AnySize},
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
			f.FileName = "cat.png"
			size, err := p.Check(f, tc.bucket, tc.now)
			if tc.msg != "" {
				wantError(t, err, "AccessDenied", 403, tc.msg)
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
