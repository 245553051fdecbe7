package sse

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func keyMD5(b []byte) string { s := md5.Sum(b); return b64(s[:]) }

func TestParseCustomerKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xA5}, 32)
	other := bytes.Repeat([]byte{0x5A}, 32)
	for _, copySource := range []bool{false, true} {
		alg, keyH, md5H := HeaderCustomerAlgorithm, HeaderCustomerKey, HeaderCustomerKeyMD5
		if copySource {
			alg, keyH, md5H = HeaderCopyCustomerAlgorithm, HeaderCopyCustomerKey, HeaderCopyCustomerKeyMD5
		}
		cases := []struct {
			name       string
			a, k, m    string
			want       error
			wantHeader string
		}{
			{"none", "", "", "", nil, ""},
			{"valid", "AES256", b64(key), keyMD5(key), nil, ""},
			{"algorithm missing", "", b64(key), keyMD5(key), ErrCustomerAlgorithmMissing, alg},
			{"algorithm AES128", "AES128", b64(key), keyMD5(key), ErrCustomerAlgorithmInvalid, alg},
			{"algorithm lower case", "aes256", b64(key), keyMD5(key), ErrCustomerAlgorithmInvalid, alg},
			{"algorithm only", "AES256", "", "", ErrCustomerKeyMissing, keyH},
			{"key not base64", "AES256", "not base64!", keyMD5(key), ErrCustomerKeyInvalid, keyH},
			{"key 16 bytes", "AES256", b64(key[:16]), keyMD5(key[:16]), ErrCustomerKeyInvalid, keyH},
			{"key 33 bytes", "AES256", b64(append(key, 1)), keyMD5(append(key, 1)), ErrCustomerKeyInvalid, keyH},
			{"md5 missing", "AES256", b64(key), "", ErrCustomerKeyMD5Missing, md5H},
			{"md5 not base64", "AES256", b64(key), "%%%", ErrCustomerKeyMD5Encoding, md5H},
			{"md5 of another key", "AES256", b64(key), keyMD5(other), ErrCustomerKeyMD5Mismatch, md5H},
			{"md5 truncated", "AES256", b64(key), b64(md5Sum(key)[:8]), ErrCustomerKeyMD5Mismatch, md5H},
			{"md5 hex instead of base64", "AES256", b64(key), "0123456789abcdef0123456789abcdef", ErrCustomerKeyMD5Mismatch, md5H},
		}
		for _, tc := range cases {
			h := http.Header{}
			set := func(k, v string) {
				if v != "" {
					h.Set(k, v)
				}
			}
			set(alg, tc.a)
			set(keyH, tc.k)
			set(md5H, tc.m)
			// The other triple must not be read.
			if copySource {
				h.Set(HeaderCustomerAlgorithm, "bogus")
			} else {
				h.Set(HeaderCopyCustomerAlgorithm, "bogus")
			}
			ck, err := ParseCustomerKey(h, copySource)
			if tc.want == nil {
				if err != nil {
					t.Errorf("copy=%v %s: %v", copySource, tc.name, err)
				}
				if (ck != nil) != (tc.k != "") {
					t.Errorf("copy=%v %s: key %v", copySource, tc.name, ck)
				}
				if ck != nil && ck.KeyMD5() != keyMD5(key) {
					t.Errorf("KeyMD5 %q", ck.KeyMD5())
				}
				continue
			}
			var he *HeaderError
			if !errors.Is(err, tc.want) || !errors.As(err, &he) || he.Header != tc.wantHeader {
				t.Errorf("copy=%v %s: err = %v, want %v on %s", copySource, tc.name, err, tc.want, tc.wantHeader)
			}
			if ck != nil {
				t.Errorf("copy=%v %s: key returned with an error", copySource, tc.name)
			}
		}
	}
	for _, e := range []*HeaderError{ErrCustomerAlgorithmMissing, ErrCustomerAlgorithmInvalid, ErrCustomerKeyMissing,
		ErrCustomerKeyInvalid, ErrCustomerKeyMD5Missing, ErrCustomerKeyMD5Encoding, ErrCustomerKeyMD5Mismatch,
		ErrCustomerKeyInsecure, ErrSSEMethodInvalid, ErrSSEAndCustomerKey} {
		if e.Status != 400 {
			t.Errorf("%s %q: status %d, want 400", e.Code, e.Message, e.Status)
		}
	}
	if ErrSSEMethodKMS.Status != 501 || ErrSSEMethodKMS.Code != "NotImplemented" {
		t.Errorf("SSE-KMS: %d %s", ErrSSEMethodKMS.Status, ErrSSEMethodKMS.Code)
	}
	// A rejected key never shows in the error.
	h := http.Header{}
	h.Set(HeaderCustomerAlgorithm, "AES256")
	h.Set(HeaderCustomerKey, b64(key))
	h.Set(HeaderCustomerKeyMD5, keyMD5(other))
	if _, err := ParseCustomerKey(h, false); err == nil || strings.Contains(err.Error(), b64(key)) || strings.Contains(err.Error(), keyMD5(other)) {
		t.Fatalf("error %v shows the key or its MD5", err)
	}
	// The exact AWS wordings, which clients show to people.
	for err, msg := range map[*HeaderError]string{
		ErrCustomerKeyInvalid:       "The secret key was invalid for the specified algorithm.",
		ErrCustomerKeyMD5Mismatch:   "The calculated MD5 hash of the key did not match the hash that was provided.",
		ErrCustomerAlgorithmMissing: "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
	} {
		if err.Message != msg || err.Code != "InvalidArgument" {
			t.Errorf("%s: %s", err.Code, err.Message)
		}
	}
}

func md5Sum(b []byte) []byte { s := md5.Sum(b); return s[:] }

func TestParseMethod(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	ssec := func(h http.Header) http.Header {
		h.Set(HeaderCustomerAlgorithm, "AES256")
		h.Set(HeaderCustomerKey, b64(key))
		h.Set(HeaderCustomerKeyMD5, keyMD5(key))
		return h
	}
	cases := []struct {
		name string
		h    http.Header
		want Method
		err  error
	}{
		{"none", http.Header{}, MethodNone, nil},
		{"SSE-S3", http.Header{HeaderSSE: {"AES256"}}, MethodS3, nil},
		{"SSE-C", ssec(http.Header{}), MethodCustomer, nil},
		{"both", ssec(http.Header{HeaderSSE: {"AES256"}}), MethodNone, ErrSSEAndCustomerKey},
		{"kms", http.Header{HeaderSSE: {"aws:kms"}}, MethodNone, ErrSSEMethodKMS},
		{"dsse", http.Header{HeaderSSE: {"aws:kms:dsse"}}, MethodNone, ErrSSEMethodKMS},
		{"bogus", http.Header{HeaderSSE: {"AES512"}}, MethodNone, ErrSSEMethodInvalid},
		{"bad SSE-C", http.Header{HeaderCustomerKey: {"x"}}, MethodNone, ErrCustomerAlgorithmMissing},
	}
	for _, tc := range cases {
		m, ck, err := ParseMethod(tc.h)
		if m != tc.want || !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, m, err, tc.want, tc.err)
		}
		if (ck != nil) != (m == MethodCustomer) {
			t.Errorf("%s: customer key %v", tc.name, ck)
		}
	}
}
