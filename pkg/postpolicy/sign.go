package postpolicy

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"github.com/cofferstore/coffer/pkg/sigv4"
	"strings"
	"time"
)

// SigV4 names, as in auth.
const (
	algorithmV4     = "AWS4-HMAC-SHA256"
	serviceS3       = "s3"
	scopeTerminator = "aws4_request"
	iso8601Basic    = "20060102T150405Z"
	scopeDateLayout = "20060102"
	defaultRegion   = "us-east-1"
)

// SecretLookup resolves an access key to its tenant and plaintext secret;
// the method value of auth.Store.LookupSecret fits. Its errors (such as
// auth.ErrInvalidAccessKeyID) are returned by Verify unchanged.
type SecretLookup func(accessKey string) (tenant, secret string, err error)

// VerifyOptions configures Verify and Authorize.
type VerifyOptions struct {
	// Region is the region a SigV4 credential scope must name
	// ("us-east-1" when empty).
	Region string
	// Lookup resolves access keys.
	Lookup SecretLookup
	// DisableSigV2 refuses SigV2 forms, as the S3 verifier can.
	DisableSigV2 bool
}

// Signer is who signed a form's policy.
type Signer struct {
	// Version is 4 or 2, or 0 for an anonymous form (no signature fields),
	// which the bucket's policy must then allow.
	Version   int
	Tenant    string
	AccessKey string
}

// Verify checks the signature of f's policy field. A form with any of
// x-amz-algorithm, x-amz-credential, x-amz-date or x-amz-signature is SigV4
// and needs all four and a policy; one with AWSAccessKeyId or signature is
// SigV2 and needs both and a policy; a form with none of them is anonymous.
func Verify(f *Form, opts VerifyOptions) (Signer, error) {
	has := func(n string) bool { _, ok := f.Get(n); return ok }
	switch {
	case has("x-amz-algorithm") || has("x-amz-credential") || has("x-amz-date") || has("x-amz-signature"):
		return verifyV4(f, opts)
	case has("awsaccesskeyid") || has("signature"):
		if opts.DisableSigV2 {
			return Signer{}, ErrSigV2Disabled
		}
		return verifyV2(f, opts)
	}
	return Signer{}, nil
}

// required returns the value of each named field, or the InvalidArgument
// of the first missing one.
func required(f *Form, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		v, ok := f.Get(n)
		if !ok {
			return nil, missingField(n)
		}
		out[i] = v
	}
	return out, nil
}

func verifyV4(f *Form, opts VerifyOptions) (Signer, error) {
	v, err := required(f, "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature", "Policy")
	if err != nil {
		return Signer{}, err
	}
	algorithm, credential, date, signature, policy := v[0], v[1], v[2], v[3], v[4]
	if algorithm != algorithmV4 {
		return Signer{}, invalidArgument("X-Amz-Algorithm", algorithm, "X-Amz-Algorithm only supports \""+algorithmV4+"\"")
	}
	region := opts.Region
	if region == "" {
		region = defaultRegion
	}
	accessKey, scopeDate, err := parseCredential(credential, region)
	if err != nil {
		return Signer{}, err
	}
	t, err := time.Parse(iso8601Basic, date)
	if err != nil {
		return Signer{}, invalidArgument("X-Amz-Date", date, "X-Amz-Date must be formated via ISO8601 Long format")
	}
	if t.Format(scopeDateLayout) != scopeDate {
		return Signer{}, invalidArgument("X-Amz-Date", date, "X-Amz-Date must be on the date of the X-Amz-Credential scope ("+scopeDate+").")
	}
	tenant, secret, err := opts.Lookup(accessKey)
	if err != nil {
		return Signer{}, err
	}
	want := SignV4(secret, scopeDate, region, policy)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(signature))) {
		return Signer{}, signatureMismatch(accessKey, policy, signature)
	}
	return Signer{Version: 4, Tenant: tenant, AccessKey: accessKey}, nil
}

// parseCredential checks "AKID/yyyymmdd/region/s3/aws4_request" and
// returns the access key and scope date. The messages are those S3 gives
// for the same faults in a presigned URL's X-Amz-Credential.
func parseCredential(s, region string) (accessKey, date string, err error) {
	parts := strings.Split(s, "/")
	n := len(parts)
	bad := func(msg string, extra ...Field) error {
		e := invalidArgument("X-Amz-Credential", s, msg)
		e.Fields = append(e.Fields, extra...)
		return e
	}
	if n < 5 {
		return "", "", bad(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
	}
	accessKey, date = strings.Join(parts[:n-4], "/"), parts[n-4]
	switch {
	case accessKey == "":
		return "", "", bad("a non-empty Access Key (AKID) must be provided in the credential.")
	case len(date) != 8 || strings.Trim(date, "0123456789") != "":
		return "", "", bad(fmt.Sprintf(`incorrect date format %q. This date in the credential must be in the format "yyyyMMdd".`, date))
	case parts[n-3] != region:
		return "", "", bad("the region '"+parts[n-3]+"' is wrong; expecting '"+region+"'", Field{"Region", region})
	case parts[n-2] != serviceS3:
		return "", "", bad(fmt.Sprintf(`incorrect service %q. This endpoint belongs to "s3".`, parts[n-2]))
	case parts[n-1] != scopeTerminator:
		return "", "", bad(fmt.Sprintf(`incorrect terminal %q. This endpoint uses "aws4_request".`, parts[n-1]))
	}
	return accessKey, date, nil
}

func verifyV2(f *Form, opts VerifyOptions) (Signer, error) {
	v, err := required(f, "AWSAccessKeyId", "Signature", "Policy")
	if err != nil {
		return Signer{}, err
	}
	accessKey, signature, policy := v[0], v[1], v[2]
	tenant, secret, err := opts.Lookup(accessKey)
	if err != nil {
		return Signer{}, err
	}
	if !hmac.Equal([]byte(SignV2(secret, policy)), []byte(signature)) {
		return Signer{}, signatureMismatch(accessKey, policy, signature)
	}
	return Signer{Version: 2, Tenant: tenant, AccessKey: accessKey}, nil
}

// SignV4 returns the x-amz-signature of a base64 policy: the hex
// HMAC-SHA256 of the policy under the SigV4 signing key of secret for the
// scope date (yyyymmdd) and region.
func SignV4(secret, scopeDate, region, policyB64 string) string {
	return hex.EncodeToString(hmacSHA256(signingKeyV4(secret, scopeDate, region), policyB64))
}

// SignV2 returns the signature field of a base64 policy: the base64
// HMAC-SHA1 of the policy under secret.
func SignV2(secret, policyB64 string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policyB64))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signingKeyV4 derives the SigV4 signing key through pkg/sigv4, the one
// derivation auth uses too.
func signingKeyV4(secret, date, region string) []byte {
	return sigv4.SigningKey(secret, date, region, serviceS3)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// Upload is an authorised POST upload.
type Upload struct {
	Signer Signer
	// Key is the object key, ${filename} expanded.
	Key string
	// Size is the file size the policy allows (AnySize when anonymous).
	Size Range
	// Policy is the checked policy, nil for an anonymous form.
	Policy *Policy
}

// Authorize runs every check of a POST upload form for bucket at time now,
// in S3's order: a key field, the signature fields and the signature over
// the policy as sent, then the policy (parsed only once its signature
// holds): expiration, conditions, coverage of every field. A form without
// signature fields is anonymous: S3 treats its policy, if any, as optional
// and leaves the decision to the bucket's permissions, which the caller
// checks. The caller enforces Upload.Size while the file streams.
func Authorize(f *Form, bucket string, now time.Time, opts VerifyOptions) (*Upload, error) {
	key, err := f.Key()
	if err != nil {
		return nil, err
	}
	signer, err := Verify(f, opts)
	if err != nil {
		return nil, err
	}
	u := &Upload{Signer: signer, Key: key, Size: AnySize}
	if signer.Version == 0 {
		return u, nil
	}
	b64, _ := f.Get("policy") // Verify required it
	if u.Policy, err = ParsePolicy(b64); err != nil {
		return nil, err
	}
	if u.Size, err = u.Policy.Check(f, bucket, now); err != nil {
		return nil, err
	}
	return u, nil
}
