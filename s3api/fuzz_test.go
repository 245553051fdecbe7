package s3api

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/cofferstore/coffer/storage"
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
	f.Add([]byte(`<Delete><Object><Key>a</Key><VersionId></VersionId></Object><Object><Key>b</Key><VersionId>0123456789abcdef0123456789abcdef</VersionId></Object></Delete>`))
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
		for _, o := range req.Objects {
			if o.hasVersion != (o.Version != nil) || o.Version != nil && *o.Version != o.VersionID || o.Version == nil && o.VersionID != "" {
				t.Fatalf("object %+v: version fields disagree", o)
			}
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

// FuzzVersionsQuery feeds arbitrary query strings to the parsers of
// version addressing: the ListObjectVersions options, the versionId
// parameter and the copy source. None may panic; every refusal is a
// client S3 error, and whatever is accepted keeps the listing's bounds.
func FuzzVersionsQuery(f *testing.F) {
	f.Add("versions&prefix=a/&delimiter=/&key-marker=k&version-id-marker=null&max-keys=5&encoding-type=url")
	f.Add("versions&version-id-marker=null")
	f.Add("versions&max-keys=-1")
	f.Add("versions&max-keys=99999999999999999999")
	f.Add("versionId=")
	f.Add("versionId=null")
	f.Add("versionId=%00%ff")
	f.Add("key-marker=%zz&version-id-marker=x")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := parseVersionsParams(q)
		if err != nil {
			if ae := toAPIError(err); ae == errInternal || ae.Status != http.StatusBadRequest {
				t.Fatalf("%q: refusal %v is not a client error", raw, err)
			}
		} else {
			if p.maxKeys < 0 || p.maxKeys > maxListKeys {
				t.Fatalf("%q: max-keys %d accepted", raw, p.maxKeys)
			}
			if p.versionIDMarker != "" && (p.keyMarker == "" || !validVersionParam(p.versionIDMarker)) {
				t.Fatalf("%q: version-id-marker %q accepted with key-marker %q", raw, p.versionIDMarker, p.keyMarker)
			}
		}
		vid, err := versionIDParam(q)
		switch {
		case err != nil:
			if ae := toAPIError(err); ae.Code != "InvalidArgument" || ae.Status != http.StatusBadRequest {
				t.Fatalf("%q: versionId refused with %v", raw, err)
			}
		case !q.Has("versionId") && vid != "":
			t.Fatalf("%q: no versionId but got %q", raw, vid)
		case q.Has("versionId") && !validVersionParam(vid):
			t.Fatalf("%q: versionId %q accepted", raw, vid)
		}
		src, err := parseCopySource("b/k?" + raw)
		if err == nil && src.versionID != "" && !validVersionParam(src.versionID) {
			t.Fatalf("%q: copy source version %q accepted", raw, src.versionID)
		}
		if err != nil && toAPIError(err) == errInternal {
			t.Fatalf("%q: copy source refusal is internal: %v", raw, err)
		}
	})
}

// validVersionParam is what a handler may pass on to storage as a version.
func validVersionParam(id string) bool {
	return id == storage.NullVersion || storage.ValidVersionID(id)
}

// FuzzVersioningConfiguration: any body either parses to Enabled or
// Suspended or is refused with a client error.
func FuzzVersioningConfiguration(f *testing.F) {
	f.Add([]byte(`<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`))
	f.Add([]byte(`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>`))
	f.Add([]byte(`<VersioningConfiguration><MfaDelete>Enabled</MfaDelete><Status>Enabled</Status></VersioningConfiguration>`))
	f.Add([]byte(`<VersioningConfiguration/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		state, err := parseVersioningConfiguration(data)
		if err != nil {
			if ae := toAPIError(err); ae == errInternal || ae.Status >= 500 && ae.Code != "NotImplemented" {
				t.Fatalf("refusal %v", err)
			}
			return
		}
		if state != storage.VersioningEnabled && state != storage.VersioningSuspended {
			t.Fatalf("accepted state %q", state)
		}
	})
}

// FuzzParseBucketEncryption: a PutBucketEncryption body is accepted only
// as one AES256 rule, and every refusal is an S3 error, never internal.
func FuzzParseBucketEncryption(f *testing.F) {
	f.Add([]byte(`<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`))
	f.Add([]byte(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`))
	f.Add([]byte(`<ServerSideEncryptionConfiguration><Rule/><Rule/></ServerSideEncryptionConfiguration>`))
	f.Add([]byte(`<ServerSideEncryptionConfiguration><Rule><BucketKeyEnabled>maybe</BucketKeyEnabled></Rule>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := parseBucketEncryption(data)
		if err == nil {
			var in sseConfiguration
			if xml.Unmarshal(data, &in) != nil || len(in.Rules) != 1 || in.Rules[0].Default.Algorithm != "AES256" {
				t.Fatalf("accepted %q", data)
			}
			return
		}
		if ae := toAPIError(err); ae == errInternal || ae.Code == "InternalError" {
			t.Fatalf("parser error is internal: %v", err)
		}
	})
}
