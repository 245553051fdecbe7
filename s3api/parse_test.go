package s3api

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/storage"
)

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		spec           string
		size           int64
		start, length  int64
		partial, inval bool
	}{
		{"bytes=0-9", 100, 0, 10, true, false},
		{"bytes=90-", 100, 90, 10, true, false},
		{"bytes=-10", 100, 90, 10, true, false},
		{"bytes=-1000", 100, 0, 100, true, false},
		{"bytes=50-5000", 100, 50, 50, true, false},
		{"bytes=100-", 100, 0, 0, false, true},
		{"bytes=100-200", 100, 0, 0, false, true},
		{"bytes=-0", 100, 0, 0, false, true},
		{"bytes=0-", 0, 0, 0, false, true},
		{"bytes=5-2", 100, 0, 100, false, false},     // invalid syntax: ignored
		{"bytes=0-1,5-6", 100, 0, 100, false, false}, // several ranges: ignored
		{"items=0-1", 100, 0, 100, false, false},
		{"bytes=a-b", 100, 0, 100, false, false},
	} {
		s, l, p, err := parseRange(tc.spec, tc.size)
		if (err != nil) != tc.inval || p != tc.partial || (!tc.inval && (s != tc.start || l != tc.length)) {
			t.Errorf("parseRange(%q, %d) = %d,%d,%v,%v", tc.spec, tc.size, s, l, p, err)
		}
	}
}

func TestParseCopyRange(t *testing.T) {
	if s, l, err := parseCopyRange("bytes=10-19", 100); err != nil || s != 10 || l != 10 {
		t.Fatalf("got %d %d %v", s, l, err)
	}
	for _, bad := range []string{"bytes=10-100", "bytes=-5", "bytes=5-", "bytes=9-2", "10-19", ""} {
		if _, _, err := parseCopyRange(bad, 100); err == nil {
			t.Errorf("parseCopyRange(%q) accepted", bad)
		}
	}
}

func TestEvalPreconditions(t *testing.T) {
	mod := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	info := storage.ObjectInfo{ETag: "abc", ModTime: mod.Add(300 * time.Millisecond)}
	before, same, after := mod.Add(-time.Hour).Format(http.TimeFormat), mod.Format(http.TimeFormat), mod.Add(time.Hour).Format(http.TimeFormat)
	for _, tc := range []struct {
		im, inm, ims, ius string
		want              condResult
	}{
		{"", "", "", "", condOK},
		{`"abc"`, "", "", "", condOK},
		{`"x", "abc"`, "", "", "", condOK},
		{`W/"abc"`, "", "", "", condOK},
		{`"x"`, "", "", "", condFailed},
		{"", "", "", before, condFailed},
		{"", "", "", same, condOK}, // second granularity
		{`"abc"`, "", "", before, condOK},
		{"", `"abc"`, "", "", condNotModified},
		{"", "*", "", "", condNotModified},
		{"", `"x"`, after, "", condOK},
		{"", "", after, "", condNotModified},
		{"", "", same, "", condNotModified},
		{"", "", before, "", condOK},
		{"", "", "garbage", "", condOK},
		{`"x"`, `"abc"`, "", "", condFailed}, // 412 before 304
	} {
		if got := evalPreconditions(tc.im, tc.inm, tc.ims, tc.ius, info); got != tc.want {
			t.Errorf("evalPreconditions(%q,%q,%q,%q) = %v, want %v", tc.im, tc.inm, tc.ims, tc.ius, got, tc.want)
		}
	}
}

func TestParseCopySource(t *testing.T) {
	for _, tc := range []struct{ in, bucket, key string }{
		{"b/k", "b", "k"},
		{"/b/dir/k", "b", "dir/k"},
		{"b/a%20b%2Bc%3F", "b", "a b+c?"},
		{"b/k?versionId=null", "b", "k"},
		{"b/%C3%BC/x", "b", "ü/x"},
	} {
		got, err := parseCopySource(tc.in)
		if err != nil || got.bucket != tc.bucket || got.key != tc.key {
			t.Errorf("parseCopySource(%q) = %+v, %v", tc.in, got, err)
		}
	}
	for _, bad := range []string{"", "b", "/b/", "b/k?versionId=123", "b/%zz"} {
		if _, err := parseCopySource(bad); err == nil {
			t.Errorf("parseCopySource(%q) accepted", bad)
		}
	}
}

func TestS3URLEncode(t *testing.T) {
	for in, want := range map[string]string{"a/b c+d": "a/b%20c%2Bd", "ü": "%C3%BC", "x~_.-": "x~_.-", "a&b=c?": "a%26b%3Dc%3F"} {
		if got := s3URLEncode(in); got != want {
			t.Errorf("s3URLEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMultipartChecksumType(t *testing.T) {
	for _, tc := range []struct {
		alg   checksum.Algorithm
		asked string
		want  string
		fail  bool
	}{
		{checksum.None, "", "", false},
		{checksum.CRC32, "", "COMPOSITE", false},
		{checksum.CRC64NVME, "", "FULL_OBJECT", false},
		{checksum.CRC32C, "full_object", "FULL_OBJECT", false},
		{checksum.SHA256, "FULL_OBJECT", "", true},
		{checksum.CRC64NVME, "COMPOSITE", "", true},
		{checksum.None, "COMPOSITE", "", true},
		{checksum.CRC32, "BOGUS", "", true},
	} {
		got, err := multipartChecksumType(tc.alg, tc.asked)
		if (err != nil) != tc.fail || got != tc.want {
			t.Errorf("multipartChecksumType(%s, %q) = %q, %v", tc.alg, tc.asked, got, err)
		}
	}
}

func TestContinuationTokenRoundTrip(t *testing.T) {
	for _, k := range []string{"a", "dir/", "ü/ x+y", string(make([]byte, 10))} {
		got, err := decodeContinuationToken(encodeContinuationToken(k))
		if err != nil || got != k {
			t.Errorf("round trip %q -> %q, %v", k, got, err)
		}
	}
	for _, bad := range []string{"", "!!!", "YWJj", encodeContinuationToken("")} {
		if _, err := decodeContinuationToken(bad); err == nil {
			t.Errorf("decodeContinuationToken(%q) accepted", bad)
		}
	}
}

// TestRouting checks which operation each request shape reaches. Without a
// verifier every request is refused after routing, so no storage is needed;
// the observer reports the operation name.
func TestRouting(t *testing.T) {
	obs := &recordingObserver{}
	h := New(Config{Observer: obs, Domains: []string{"s3.example.com"}})
	for _, tc := range []struct {
		method, target, host string
		hdr                  map[string]string
		op                   string
	}{
		{"GET", "/", "", nil, "ListBuckets"},
		{"PUT", "/b", "", nil, "CreateBucket"},
		{"PUT", "/b/", "", nil, "CreateBucket"},
		{"HEAD", "/b", "", nil, "HeadBucket"},
		{"DELETE", "/b", "", nil, "DeleteBucket"},
		{"GET", "/b", "", nil, "ListObjects"},
		{"GET", "/b?list-type=2&prefix=a", "", nil, "ListObjectsV2"},
		{"GET", "/b?location", "", nil, "GetBucketLocation"},
		{"GET", "/b?versioning", "", nil, "GetBucketVersioning"},
		{"PUT", "/b?versioning", "", nil, "PutBucketVersioning"},
		{"GET", "/b?uploads", "", nil, "ListMultipartUploads"},
		{"POST", "/b?delete", "", nil, "DeleteObjects"},
		{"GET", "/b?acl", "", nil, "GetBucketAcl"},
		{"PUT", "/b?policy", "", nil, "PutBucketPolicy"},
		{"GET", "/b?policyStatus", "", nil, "GetBucketPolicyStatus"},
		{"DELETE", "/b?publicAccessBlock", "", nil, "DeletePublicAccessBlock"},
		{"PUT", "/b?ownershipControls", "", nil, "PutBucketOwnershipControls"},
		{"GET", "/b?logging", "", nil, "Unknown"},
		{"GET", "/b?versions", "", nil, "ListObjectVersions"},
		{"GET", "/b?versions&prefix=a&key-marker=k", "", nil, "ListObjectVersions"},
		{"GET", "/b?tagging", "", nil, "GetBucketTagging"},
		{"PUT", "/b?tagging", "", nil, "PutBucketTagging"},
		{"DELETE", "/b?cors", "", nil, "DeleteBucketCors"},
		{"PUT", "/b?cors", "", nil, "PutBucketCors"},
		{"GET", "/b?cors", "", nil, "GetBucketCors"},
		{"PUT", "/b/k", "", nil, "PutObject"},
		{"PUT", "/b/k", "", map[string]string{"X-Amz-Copy-Source": "b/x"}, "CopyObject"},
		{"GET", "/b/k", "", nil, "GetObject"},
		{"GET", "/b/a//b/../c", "", nil, "GetObject"},
		{"HEAD", "/b/k", "", nil, "HeadObject"},
		{"DELETE", "/b/k", "", nil, "DeleteObject"},
		{"POST", "/b/k?uploads", "", nil, "CreateMultipartUpload"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "", nil, "UploadPart"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "", map[string]string{"X-Amz-Copy-Source": "b/x"}, "UploadPartCopy"},
		{"GET", "/b/k?uploadId=u", "", nil, "ListParts"},
		{"POST", "/b/k?uploadId=u", "", nil, "CompleteMultipartUpload"},
		{"DELETE", "/b/k?uploadId=u", "", nil, "AbortMultipartUpload"},
		{"GET", "/b/k?tagging", "", nil, "GetObjectTagging"},
		{"PUT", "/b/k?tagging", "", nil, "PutObjectTagging"},
		{"DELETE", "/b/k?tagging", "", nil, "DeleteObjectTagging"},
		{"GET", "/b/k?acl", "", nil, "GetObjectAcl"},
		{"PUT", "/b/k?acl", "", nil, "PutObjectAcl"},
		{"GET", "/b/k?torrent", "", nil, "Unknown"},
		{"PUT", "/b/k?retention", "", nil, "PutObjectRetention"},
		{"GET", "/b/k?retention&versionId=3", "", nil, "GetObjectRetention"},
		{"PUT", "/b/k?legal-hold", "", nil, "PutObjectLegalHold"},
		{"GET", "/b/k?legal-hold", "", nil, "GetObjectLegalHold"},
		{"PUT", "/b?object-lock", "", nil, "PutObjectLockConfiguration"},
		{"GET", "/b?object-lock", "", nil, "GetObjectLockConfiguration"},
		{"DELETE", "/b/k?retention", "", nil, "Unknown"},
		{"PUT", "/b?retention", "", nil, "Unknown"},
		{"GET", "/b/k?versionId=3", "", nil, "GetObject"},
		{"HEAD", "/b/k?versionId=3", "", nil, "HeadObject"},
		{"DELETE", "/b/k?versionId=3", "", nil, "DeleteObject"},
		{"GET", "/b/k?tagging&versionId=3", "", nil, "GetObjectTagging"},
		{"PUT", "/b/k?versionId=3", "", nil, "Unknown"},
		{"PUT", "/b/k?versionId=3", "", map[string]string{"X-Amz-Copy-Source": "b/x"}, "Unknown"},
		{"PUT", "/b/k?versionId=null", "", nil, "PutObject"},
		{"POST", "/b/k", "", nil, "Unknown"},
		{"PATCH", "/b/k", "", nil, "Unknown"},
		{"POST", "/", "", nil, "Unknown"},
		{"GET", "/", "vb.s3.example.com:9000", nil, "ListObjects"},
		{"GET", "/k", "vb.s3.example.com", nil, "GetObject"},
		{"GET", "/?list-type=2", "vb.s3.example.com", nil, "ListObjectsV2"},
		{"GET", "/", "s3.example.com", nil, "ListBuckets"},
	} {
		obs.ops = nil
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.host != "" {
			r.Host = tc.host
		}
		for k, v := range tc.hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Header().Get("X-Amz-Request-Id") == "" || w.Header().Get("X-Amz-Id-2") == "" {
			t.Errorf("%s %s: no request id headers", tc.method, tc.target)
		}
		// Auth runs before every operation, NotImplemented included.
		if obs.count(tc.op+" 403") != 1 {
			t.Errorf("%s %s (host %q): routed to %v, want %s", tc.method, tc.target, tc.host, obs.ops, tc.op)
		}
	}
}

func TestParseListParams(t *testing.T) {
	for q, want := range map[string]int{"": 1000, "max-keys=5": 5, "max-keys=0": 0, "max-keys=99999": 1000} {
		v, _ := url.ParseQuery(q)
		p, err := parseListParams(v)
		if err != nil || p.maxKeys != want {
			t.Errorf("%q: max %d, %v; want %d", q, p.maxKeys, err, want)
		}
	}
	for _, q := range []string{"max-keys=-1", "max-keys=x", "encoding-type=base64"} {
		v, _ := url.ParseQuery(q)
		if _, err := parseListParams(v); err == nil || toAPIError(err).Code != "InvalidArgument" {
			t.Errorf("%q accepted (%v)", q, err)
		}
	}
}

func TestParseVersionsParams(t *testing.T) {
	for _, tc := range []struct {
		query, code, msg string
	}{
		{"versions", "", ""},
		{"versions&key-marker=k&version-id-marker=null&max-keys=2", "", ""},
		{"versions&key-marker=k", "", ""},
		{"versions&version-id-marker=null", "InvalidArgument", "A version-id marker cannot be specified without a key marker."},
		{"versions&key-marker=k&version-id-marker=not-an-id", "InvalidArgument", "Invalid version id specified"},
		{"versions&max-keys=-1", "InvalidArgument", "max-keys"},
		{"versions&max-keys=x", "InvalidArgument", "max-keys"},
		{"versions&encoding-type=base64", "InvalidArgument", "Encoding"},
	} {
		q, _ := url.ParseQuery(tc.query)
		p, err := parseVersionsParams(q)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.query, err)
			}
			continue
		}
		ae := toAPIError(err)
		if err == nil || ae.Code != tc.code || ae.Status != 400 || !strings.Contains(ae.Message, tc.msg) {
			t.Errorf("%q: %+v, %v; want %s %q", tc.query, p, err, tc.code, tc.msg)
		}
	}
	q, _ := url.ParseQuery("versions&max-keys=5000&encoding-type=url&key-marker=a+b&prefix=p")
	p, err := parseVersionsParams(q)
	if err != nil || p.maxKeys != 1000 || p.encodingType != "url" || p.keyMarker != "a b" || p.prefix != "p" {
		t.Fatalf("parsed %+v, %v", p, err)
	}
}

func TestVersionIDParam(t *testing.T) {
	for query, want := range map[string]string{"": "", "versionId=null": "null", "partNumber=1": ""} {
		q, _ := url.ParseQuery(query)
		if got, err := versionIDParam(q); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", query, got, err, want)
		}
	}
	for query, msg := range map[string]string{
		"versionId=":          "Version id cannot be the empty string",
		"versionId=3":         "Invalid version id specified",
		"versionId=%00":       "Invalid version id specified",
		"versionId=../../etc": "Invalid version id specified",
	} {
		q, _ := url.ParseQuery(query)
		_, err := versionIDParam(q)
		if ae := toAPIError(err); err == nil || ae.Code != "InvalidArgument" || ae.Message != msg {
			t.Errorf("%q: %v; want InvalidArgument %q", query, err, msg)
		}
	}
}

func TestParseVersioningConfiguration(t *testing.T) {
	for body, want := range map[string]string{
		`<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`: "Enabled",
		`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>`:                "Suspended",
	} {
		if got, err := parseVersioningConfiguration([]byte(body)); err != nil || got != want {
			t.Errorf("%s: %q, %v", body, got, err)
		}
	}
	for body, code := range map[string]string{
		`<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>`: "MalformedXML",
		`<VersioningConfiguration/>`:                        "MalformedXML",
		`<VersioningConfiguration><Status>Enabled</Status>`: "MalformedXML",
		`<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Maybe</MfaDelete></VersioningConfiguration>`:   "MalformedXML",
		`<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`: "NotImplemented",
		``: "MalformedXML",
	} {
		if got, err := parseVersioningConfiguration([]byte(body)); err == nil || toAPIError(err).Code != code {
			t.Errorf("%s: %q, %v; want %s", body, got, err, code)
		}
	}
}

// TestVersionsXML: versions and delete markers interleave in listing
// order, each with its own element name; a marker has no ETag or Size.
func TestVersionsXML(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := listVersionsResult{NS: s3NS, Name: "b", MaxKeys: 3}
	enc := func(s string) string { return s }
	for _, o := range []storage.ObjectInfo{
		{Key: "a", VersionID: "v3", IsLatest: true, DeleteMarker: true, ModTime: mod},
		{Key: "a", VersionID: "v2", Size: 0, ETag: "d41d8cd98f00b204e9800998ecf8427e", ModTime: mod},
		{Key: "a", VersionID: "v1", DeleteMarker: true, ModTime: mod},
		{Key: "b", VersionID: "null", IsLatest: true, Size: 7, ETag: "abc", ModTime: mod},
	} {
		res.Entries = append(res.Entries, versionEntryOf(o, enc, tenantOwner("t")))
	}
	body, err := xml.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	want := `<DeleteMarker><Key>a</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest><LastModified>2026-01-02T03:04:05.000Z</LastModified><Owner><ID>t</ID><DisplayName>t</DisplayName></Owner></DeleteMarker>` +
		`<Version><Key>a</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&#34;d41d8cd98f00b204e9800998ecf8427e&#34;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass><Owner><ID>t</ID><DisplayName>t</DisplayName></Owner></Version>` +
		`<DeleteMarker><Key>a</Key><VersionId>v1</VersionId>`
	if !strings.Contains(string(body), want) || !strings.Contains(string(body), `<Key>b</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>`) {
		t.Fatalf("XML:\n%s", body)
	}
}

// TestParseDeleteVersions: a <VersionId> element, even empty, is kept
// apart from its absence.
func TestParseDeleteVersions(t *testing.T) {
	req, err := parseDeleteRequest([]byte(`<Delete><Object><Key>a</Key><VersionId>v1</VersionId></Object><Object><Key>b</Key></Object><Object><Key>c</Key><VersionId></VersionId></Object></Delete>`))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", []any{req.Objects[0].VersionID, req.Objects[0].hasVersion, req.Objects[1].VersionID, req.Objects[1].hasVersion, req.Objects[2].VersionID, req.Objects[2].hasVersion})
	if got != "[v1 true  false  true]" {
		t.Fatalf("parsed %s", got)
	}
}
