package postpolicy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAccessKey = "AKIAIOSFODNN7EXAMPLE"
	testSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var errNoKey = errors.New("no such key")

func testLookup(ak string) (string, string, error) {
	if ak == testAccessKey {
		return "acme", testSecret, nil
	}
	return "", "", errNoKey
}

// TestSigningKeyMatchesSDK checks signingKeyV4 (a copy of auth's
// unexported derivation) against the AWS SDK's SigV4 signer: the SDK
// presigns a request, and the signature is recomputed here from the
// canonical request with signingKeyV4.
func TestSigningKeyMatchesSDK(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	req, _ := http.NewRequest(http.MethodGet, "https://s3.example.test/bucket/key.txt", nil)
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret},
		req, "UNSIGNED-PAYLOAD", "s3", "eu-west-3", at)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(signed)
	q := u.Query()
	want := q.Get("X-Amz-Signature")
	q.Del("X-Amz-Signature")
	canonical := strings.Join([]string{"GET", "/bucket/key.txt", q.Encode(), "host:s3.example.test", "", "host", "UNSIGNED-PAYLOAD"}, "\n")
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + at.Format(iso8601Basic) + "\n20261127/eu-west-3/s3/aws4_request\n" + hex.EncodeToString(sum[:])
	got := hex.EncodeToString(hmacSHA256(signingKeyV4(testSecret, "20261127", "eu-west-3"), toSign))
	if got != want {
		t.Fatalf("signature %s, SDK %s", got, want)
	}
}

// TestSignV4AWSExample is AWS's own POST example (sigv4-post-example):
// the base64 policy as published and the signature it states.
func TestSignV4AWSExample(t *testing.T) {
	const policy = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
	if got := SignV4(testSecret, "20151229", "us-east-1", policy); got != "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e" {
		t.Fatalf("signature %s", got)
	}
	// The example's form, with the field names in the case AWS shows.
	fields := []Field{{"key", "user/user1/${filename}"}, {"acl", "public-read"},
		{"success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"},
		{"Content-Type", "image/jpeg"}, {"x-amz-meta-uuid", "14365123651274"}, {"x-amz-server-side-encryption", "AES256"},
		{"X-Amz-Credential", testAccessKey + "/20151229/us-east-1/s3/aws4_request"}, {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
		{"X-Amz-Date", "20151229T000000Z"}, {"x-amz-meta-tag", ""}, {"Policy", policy},
		{"X-Amz-Signature", "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"}}
	u, err := Authorize(mustForm(t, fields, []byte("x")), "sigv4examplebucket", time.Date(2015, 12, 29, 12, 0, 0, 0, time.UTC), VerifyOptions{Lookup: testLookup})
	if err != nil {
		t.Fatal(err)
	}
	if u.Key != "user/user1/photo.png" || u.Signer.Version != 4 {
		t.Fatalf("%+v", u)
	}
}

func v4Fields(policy, sig string) []Field {
	return []Field{
		{"key", "k"}, {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
		{"x-amz-credential", testAccessKey + "/20261127/us-east-1/s3/aws4_request"},
		{"x-amz-date", "20261127T093000Z"}, {"policy", policy}, {"x-amz-signature", sig},
	}
}

func TestVerify(t *testing.T) {
	policy := policyB64(testNow.Add(time.Hour), `["starts-with", "$key", ""]`)
	v4sig := SignV4(testSecret, "20261127", "us-east-1", policy)
	v2sig := SignV2(testSecret, policy)
	opts := VerifyOptions{Lookup: testLookup}
	replace := func(fs []Field, name, value string) []Field {
		out := append([]Field{}, fs...)
		for i := range out {
			if out[i].Name == name {
				out[i].Value = value
			}
		}
		return out
	}
	drop := func(fs []Field, name string) []Field {
		var out []Field
		for _, f := range fs {
			if f.Name != name {
				out = append(out, f)
			}
		}
		return out
	}
	good := v4Fields(policy, v4sig)

	t.Run("v4", func(t *testing.T) {
		s, err := Verify(mustForm(t, good, []byte("x")), opts)
		if err != nil || s != (Signer{Version: 4, Tenant: "acme", AccessKey: testAccessKey}) {
			t.Fatalf("%+v %v", s, err)
		}
		// Upper-case hex is the same signature.
		if _, err := Verify(mustForm(t, replace(good, "x-amz-signature", strings.ToUpper(v4sig)), []byte("x")), opts); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("v2", func(t *testing.T) {
		f := mustForm(t, []Field{{"key", "k"}, {"AWSAccessKeyId", testAccessKey}, {"Policy", policy}, {"Signature", v2sig}}, []byte("x"))
		s, err := Verify(f, opts)
		if err != nil || s != (Signer{Version: 2, Tenant: "acme", AccessKey: testAccessKey}) {
			t.Fatalf("%+v %v", s, err)
		}
		_, err = Verify(f, VerifyOptions{Lookup: testLookup, DisableSigV2: true})
		if !errors.Is(err, ErrSigV2Disabled) {
			t.Fatalf("disabled v2: %v", err)
		}
		f = mustForm(t, []Field{{"key", "k"}, {"AWSAccessKeyId", testAccessKey}, {"Policy", policy}, {"Signature", SignV2("wrong", policy)}}, []byte("x"))
		if _, err := Verify(f, opts); !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("bad v2 signature: %v", err)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		s, err := Verify(mustForm(t, []Field{{"key", "k"}}, []byte("x")), opts)
		if err != nil || s != (Signer{}) {
			t.Fatalf("%+v %v", s, err)
		}
	})

	cases := []struct {
		name   string
		fields []Field
		code   string
		msg    string
	}{
		{"wrong secret", replace(good, "x-amz-signature", SignV4("other", "20261127", "us-east-1", policy)), "SignatureDoesNotMatch", ErrSignatureMismatch.Message},
		{"policy changed", replace(good, "policy", policyB64(testNow.Add(2*time.Hour), `["starts-with", "$key", ""]`)), "SignatureDoesNotMatch", ErrSignatureMismatch.Message},
		// The signature is checked over the policy as sent, before decoding.
		{"policy truncated", replace(good, "policy", policy[:len(policy)-2]), "SignatureDoesNotMatch", ErrSignatureMismatch.Message},
		{"signed for another day", replace(good, "x-amz-signature", SignV4(testSecret, "20261126", "us-east-1", policy)), "SignatureDoesNotMatch", ErrSignatureMismatch.Message},
		{"no signature", drop(good, "x-amz-signature"), "InvalidArgument", "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields."},
		{"no policy", drop(good, "policy"), "InvalidArgument", "Bucket POST must contain a field named 'Policy'.  If it is specified, please check the order of the fields."},
		{"algorithm named before credential", drop(drop(good, "x-amz-credential"), "x-amz-algorithm"), "InvalidArgument", "Bucket POST must contain a field named 'X-Amz-Algorithm'.  If it is specified, please check the order of the fields."},
		{"v2 without signature", []Field{{"key", "k"}, {"AWSAccessKeyId", testAccessKey}, {"policy", policy}}, "InvalidArgument",
			"Bucket POST must contain a field named 'Signature'.  If it is specified, please check the order of the fields."},
		{"v2 without access key", []Field{{"key", "k"}, {"signature", v2sig}, {"policy", policy}}, "InvalidArgument",
			"Bucket POST must contain a field named 'AWSAccessKeyId'.  If it is specified, please check the order of the fields."},
		{"other algorithm", replace(good, "x-amz-algorithm", "AWS4-ECDSA-P256-SHA256"), "InvalidArgument", `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`},
		{"wrong region", replace(good, "x-amz-credential", testAccessKey+"/20261127/eu-west-1/s3/aws4_request"), "InvalidArgument",
			"the region 'eu-west-1' is wrong; expecting 'us-east-1'"},
		{"short credential", replace(good, "x-amz-credential", testAccessKey+"/20261127/us-east-1/s3"), "InvalidArgument",
			`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		{"other service", replace(good, "x-amz-credential", testAccessKey+"/20261127/us-east-1/iam/aws4_request"), "InvalidArgument", `incorrect service "iam". This endpoint belongs to "s3".`},
		{"other terminal", replace(good, "x-amz-credential", testAccessKey+"/20261127/us-east-1/s3/aws5_request"), "InvalidArgument", `incorrect terminal "aws5_request". This endpoint uses "aws4_request".`},
		{"bad scope date", replace(good, "x-amz-credential", testAccessKey+"/2026112x/us-east-1/s3/aws4_request"), "InvalidArgument",
			`incorrect date format "2026112x". This date in the credential must be in the format "yyyyMMdd".`},
		{"empty access key", replace(good, "x-amz-credential", "/20261127/us-east-1/s3/aws4_request"), "InvalidArgument", "a non-empty Access Key (AKID) must be provided in the credential."},
		{"malformed date", replace(good, "x-amz-date", "2026-11-27T09:30:00Z"), "InvalidArgument", "X-Amz-Date must be formated via ISO8601 Long format"},
		{"date of another day", replace(good, "x-amz-date", "20261128T000000Z"), "InvalidArgument", "X-Amz-Date must be on the date of the X-Amz-Credential scope (20261127)."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(mustForm(t, tc.fields, []byte("x")), opts)
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Message != tc.msg {
				t.Fatalf("err = %v, want %s %q", err, tc.code, tc.msg)
			}
		})
	}
	t.Run("mismatch details", func(t *testing.T) {
		_, err := Verify(mustForm(t, replace(good, "x-amz-signature", "abc"), []byte("x")), opts)
		e := wantError(t, err, "SignatureDoesNotMatch", 403, ErrSignatureMismatch.Message)
		if fieldValue0(e, "AWSAccessKeyId") != testAccessKey || fieldValue0(e, "StringToSign") != policy ||
			fieldValue0(e, "SignatureProvided") != "abc" || !strings.HasPrefix(fieldValue0(e, "StringToSignBytes"), "65 79 ") {
			t.Fatalf("fields %v", e.Fields)
		}
	})
	t.Run("region details", func(t *testing.T) {
		_, err := Verify(mustForm(t, replace(good, "x-amz-credential", testAccessKey+"/20261127/eu-west-1/s3/aws4_request"), []byte("x")), opts)
		var e *Error
		if !errors.As(err, &e) || fieldValue0(e, "Region") != "us-east-1" || fieldValue0(e, "ArgumentName") != "X-Amz-Credential" {
			t.Fatalf("%+v", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := Verify(mustForm(t, replace(good, "x-amz-credential", "AKIDUNKNOWN/20261127/us-east-1/s3/aws4_request"), []byte("x")), opts)
		if !errors.Is(err, errNoKey) {
			t.Fatalf("err = %v, want the lookup's error", err)
		}
	})
}

func TestAuthorize(t *testing.T) {
	exp := testNow.Add(time.Hour)
	conds := []string{`{"bucket": "photos"}`, `["starts-with", "$key", "u/"]`, `{"x-amz-algorithm": "AWS4-HMAC-SHA256"}`,
		`{"x-amz-credential": "` + testAccessKey + `/20261127/us-east-1/s3/aws4_request"}`, `{"x-amz-date": "20261127T093000Z"}`,
		`["content-length-range", 1, 10]`}
	policy := policyB64(exp, conds...)
	fields := v4Fields(policy, SignV4(testSecret, "20261127", "us-east-1", policy))
	fields[0].Value = "u/${filename}"
	f := mustForm(t, fields, []byte("x"))
	u, err := Authorize(f, "photos", testNow, VerifyOptions{Lookup: testLookup})
	if err != nil {
		t.Fatal(err)
	}
	if u.Key != "u/photo.png" || u.Size != (Range{1, 10}) || u.Signer.Tenant != "acme" || u.Policy == nil {
		t.Fatalf("%+v", u)
	}
	if _, err := Authorize(f, "photos", exp, VerifyOptions{Lookup: testLookup}); !errors.Is(err, ErrPolicyExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := Authorize(f, "other", testNow, VerifyOptions{Lookup: testLookup}); err == nil {
		t.Fatal("other bucket allowed")
	}
	// Anonymous: the policy, if any, is not S3's to check; the bucket's
	// permissions decide.
	anon := mustForm(t, []Field{{"key", "a"}, {"acl", "public-read"}, {"policy", policyB64(exp, `["eq", "$key", "b"]`)}}, []byte("x"))
	if u, err := Authorize(anon, "photos", testNow, VerifyOptions{}); err != nil || u.Signer.Version != 0 || u.Size != AnySize || u.Policy != nil {
		t.Fatalf("anonymous: %+v %v", u, err)
	}
	// A signed form's conditions are checked.
	bad := policyB64(exp, append(conds, `["eq", "$key", "b"]`)...)
	fields = v4Fields(bad, SignV4(testSecret, "20261127", "us-east-1", bad))
	fields[0].Value = "u/x"
	_, err = Authorize(mustForm(t, fields, []byte("x")), "photos", testNow, VerifyOptions{Lookup: testLookup})
	_ = wantError(t, err, "AccessDenied", 403, `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "b"]`)
	if _, err := Authorize(mustForm(t, []Field{{"acl", "x"}}, []byte("x")), "photos", testNow, VerifyOptions{}); err == nil {
		t.Fatal("a form without key was authorised")
	}
}
