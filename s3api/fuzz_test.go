package s3api

import (
	"testing"
	"unicode/utf8"
)

// FuzzCompleteMultipartUpload feeds arbitrary bodies to the
// CompleteMultipartUpload parser: it must not panic, and whatever it accepts
// must be a non-empty list of valid part numbers.
func FuzzCompleteMultipartUpload(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>x</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload></CompleteMultipartUpload>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><CompleteMultipartUpload>&a;</CompleteMultipartUpload>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parts, err := parseCompleteRequest(data)
		if err != nil {
			if toAPIError(err) == errInternal {
				t.Fatalf("parser error is internal: %v", err)
			}
			return
		}
		if len(parts) == 0 || len(parts) > 10000 {
			t.Fatalf("accepted %d parts", len(parts))
		}
		for _, p := range parts {
			if p.PartNumber < 1 || p.PartNumber > 10000 {
				t.Fatalf("accepted part number %d", p.PartNumber)
			}
		}
	})
}

// FuzzDeleteObjects feeds arbitrary bodies to the DeleteObjects parser.
func FuzzDeleteObjects(f *testing.F) {
	f.Add([]byte(`<Delete><Object><Key>a</Key></Object><Quiet>true</Quiet></Delete>`))
	f.Add([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a/b c</Key><VersionId>null</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete><Quiet>maybe</Quiet></Delete>`))
	f.Add([]byte(`<Delete><Object><Key>&lt;x&gt;</Key></Object>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseDeleteRequest(data)
		if err != nil {
			if toAPIError(err) == errInternal {
				t.Fatalf("parser error is internal: %v", err)
			}
			return
		}
		if len(req.Objects) == 0 || len(req.Objects) > maxDeleteKeys {
			t.Fatalf("accepted %d keys", len(req.Objects))
		}
	})
}

// FuzzContinuationToken: decoding never panics, accepted tokens re-encode to
// tokens that decode to the same key, and every key round-trips.
func FuzzContinuationToken(f *testing.F) {
	f.Add("YzE6YQ")
	f.Add(encodeContinuationToken("dir/obj0042"))
	f.Add("")
	f.Add("====")
	f.Fuzz(func(t *testing.T, token string) {
		key, err := decodeContinuationToken(token)
		if err == nil {
			again, err := decodeContinuationToken(encodeContinuationToken(key))
			if err != nil || again != key {
				t.Fatalf("token %q: key %q does not round-trip (%q, %v)", token, key, again, err)
			}
		} else if toAPIError(err) != errInvalidToken {
			t.Fatalf("unexpected error %v", err)
		}
		// Any valid key (the token as a key) round-trips.
		if k := token; k != "" && len(k) <= 1024 && utf8.ValidString(k) {
			got, err := decodeContinuationToken(encodeContinuationToken(k))
			if err != nil || got != k {
				t.Fatalf("key %q round-trips to %q, %v", k, got, err)
			}
		}
	})
}

// FuzzParseRange: ranges never escape the object.
func FuzzParseRange(f *testing.F) {
	f.Add("bytes=0-9", int64(100))
	f.Add("bytes=-5", int64(3))
	f.Add("bytes=5-", int64(0))
	f.Fuzz(func(t *testing.T, spec string, size int64) {
		if size < 0 {
			return
		}
		start, length, partial, err := parseRange(spec, size)
		if err != nil || !partial {
			return
		}
		if start < 0 || length <= 0 || start+length > size {
			t.Fatalf("parseRange(%q, %d) = %d+%d", spec, size, start, length)
		}
	})
}
