package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cofferstore/coffer/storage"
)

// TestSDKVersioning drives every versioning operation with aws-sdk-go-v2,
// with the SDK's default checksums and with checksums only when required.
func TestSDKVersioning(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	for _, mode := range []checksumMode{sdkDefault, sdkWhenRequired} {
		t.Run(mode.String(), func(t *testing.T) {
			c := e.client("alpha", mode)
			p := fmt.Sprintf("v%d-", mode)
			t.Run("NeverVersioned", func(t *testing.T) { testNeverVersioned(t, e, c, p+"plain") })
			t.Run("ListPaging", func(t *testing.T) { testVersionsPaging(t, c, p+"paging") })
			t.Run("Lifecycle", func(t *testing.T) { testVersionLifecycle(t, e, c, p+"life") })
			t.Run("Suspended", func(t *testing.T) { testVersioningSuspended(t, c, p+"susp") })
			t.Run("Copy", func(t *testing.T) { testVersionedCopy(t, c, p+"copy") })
			t.Run("DeleteObjects", func(t *testing.T) { testVersionedDeleteObjects(t, c, p+"multidel") })
			t.Run("Tagging", func(t *testing.T) { testVersionedTagging(t, c, p+"tags") })
			t.Run("BucketVersioningErrors", func(t *testing.T) { testBucketVersioningErrors(t, e, c, p+"cfg") })
			t.Run("DeleteBucket", func(t *testing.T) { testVersionedDeleteBucket(t, c, p+"delbucket") })
			t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentVersions(t, c, p+"race") })
		})
	}
}

// errHeader returns a response header of a failed SDK call.
func errHeader(t *testing.T, err error, name string) string {
	t.Helper()
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		t.Fatalf("no HTTP response in %v", err)
	}
	return re.Response.Header.Get(name)
}

func enableVersioning(t *testing.T, c *s3.Client, b string, status types.BucketVersioningStatus) {
	t.Helper()
	_, err := c.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: status}})
	if err != nil {
		t.Fatalf("PutBucketVersioning %s: %v", status, err)
	}
	got, err := c.GetBucketVersioning(context.Background(), &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || got.Status != status {
		t.Fatalf("GetBucketVersioning = %q, %v; want %s", got.Status, err, status)
	}
}

// putVersion writes a version and returns its id, which must be new.
func putVersion(t *testing.T, c *s3.Client, b, key, body string) string {
	t.Helper()
	out := put(t, c, b, key, []byte(body))
	id := aws.ToString(out.VersionId)
	if id == "" || id == storage.NullVersion || !storage.ValidVersionID(id) {
		t.Fatalf("PutObject %s on a versioned bucket: version id %q", key, id)
	}
	return id
}

func getVersion(t *testing.T, c *s3.Client, b, key, vid string) (string, string) {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: &b, Key: &key}
	if vid != "" {
		in.VersionId = &vid
	}
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObject %s?versionId=%s: %v", key, vid, err)
	}
	return string(mustRead(t, out.Body)), aws.ToString(out.VersionId)
}

// versionRow is one listed version or marker, for comparing listings.
type versionRow struct {
	Key, VersionID string
	Latest, Marker bool
}

func (r versionRow) String() string {
	kind := "V"
	if r.Marker {
		kind = "M"
	}
	latest := ""
	if r.Latest {
		latest = "*"
	}
	return kind + ":" + r.Key + "@" + r.VersionID + latest
}

// listVersions lists every version of a bucket (one call) in the order
// the server sent them, which the SDK's split into Versions and
// DeleteMarkers loses: the raw XML decides the order.
func listVersions(t *testing.T, c *s3.Client, b string) []versionRow {
	t.Helper()
	out, err := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &b})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	var rows []versionRow
	for _, v := range out.Versions {
		rows = append(rows, versionRow{aws.ToString(v.Key), aws.ToString(v.VersionId), aws.ToBool(v.IsLatest), false})
	}
	for _, m := range out.DeleteMarkers {
		rows = append(rows, versionRow{aws.ToString(m.Key), aws.ToString(m.VersionId), aws.ToBool(m.IsLatest), true})
	}
	return rows
}

// wantVersions compares a listing (as a set: order is checked on raw XML).
func wantVersions(t *testing.T, c *s3.Client, b string, want ...versionRow) {
	t.Helper()
	got := listVersions(t, c, b)
	key := func(r versionRow) string { return r.String() }
	gs, ws := make([]string, 0, len(got)), make([]string, 0, len(want))
	for _, r := range got {
		gs = append(gs, key(r))
	}
	for _, r := range want {
		ws = append(ws, key(r))
	}
	slices.Sort(gs)
	slices.Sort(ws)
	if !slices.Equal(gs, ws) {
		t.Fatalf("versions of %s:\n got  %s\n want %s", b, strings.Join(gs, " "), strings.Join(ws, " "))
	}
}

var entryRE = regexp.MustCompile(`<(Version|DeleteMarker)><Key>([^<]*)</Key><VersionId>([^<]*)</VersionId>`)

// sendSigned sends a SigV4-signed request through the test server's
// client (sendRaw half-closes the connection, which cancels a GET's
// context before a listing finishes).
func (e *testEnv) sendSigned(t *testing.T, method, path string, hdr http.Header, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	cred := e.keys["alpha"]
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: cred.AccessKey, SecretAccessKey: cred.SecretKey},
		req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := e.http().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(rb)}
}

// rawVersionOrder lists a bucket's versions with a hand-signed request and
// returns the entries in document order.
func rawVersionOrder(t *testing.T, e *testEnv, b, query string) []string {
	t.Helper()
	resp := e.sendSigned(t, "GET", "/"+b+"?versions"+query, nil, nil)
	if resp.status != 200 {
		t.Fatalf("raw ListObjectVersions: %d %s", resp.status, resp.body)
	}
	var out []string
	for _, m := range entryRE.FindAllStringSubmatch(resp.body, -1) {
		kind := "V"
		if m[1] == "DeleteMarker" {
			kind = "M"
		}
		out = append(out, kind+":"+m[2]+"@"+m[3])
	}
	return out
}

func testNeverVersioned(t *testing.T, e *testEnv, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	got, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || got.Status != "" || got.MFADelete != "" {
		t.Fatalf("GetBucketVersioning of a new bucket: %+v, %v", got, err)
	}
	resp := e.sendSigned(t, "GET", "/"+b+"?versioning", nil, nil)
	if !strings.HasSuffix(resp.body, `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></VersioningConfiguration>`) {
		t.Fatalf("never-versioned configuration: %s", resp.body)
	}
	for _, k := range []string{"a", "dir/b", "dir/c", "z"} {
		out := put(t, c, b, k, []byte("body-"+k))
		if out.VersionId != nil {
			t.Fatalf("PutObject on a never-versioned bucket sent x-amz-version-id %q", *out.VersionId)
		}
	}
	lv, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b})
	if err != nil {
		t.Fatalf("ListObjectVersions on a never-versioned bucket: %v", err)
	}
	if len(lv.Versions) != 4 || len(lv.DeleteMarkers) != 0 || aws.ToBool(lv.IsTruncated) || aws.ToInt32(lv.MaxKeys) != 1000 || aws.ToString(lv.Name) != b {
		t.Fatalf("listing: %d versions, %d markers, truncated %v, max %d", len(lv.Versions), len(lv.DeleteMarkers), aws.ToBool(lv.IsTruncated), aws.ToInt32(lv.MaxKeys))
	}
	for i, k := range []string{"a", "dir/b", "dir/c", "z"} {
		v := lv.Versions[i]
		if aws.ToString(v.Key) != k || aws.ToString(v.VersionId) != "null" || !aws.ToBool(v.IsLatest) ||
			aws.ToInt64(v.Size) != int64(len("body-"+k)) || v.StorageClass != types.ObjectVersionStorageClassStandard ||
			aws.ToString(v.ETag) != fmt.Sprintf("%q", md5hex([]byte("body-"+k))) ||
			v.Owner == nil || aws.ToString(v.Owner.ID) != "alpha" || v.LastModified == nil || v.LastModified.IsZero() {
			t.Fatalf("version %d: %+v", i, v)
		}
	}
	// Delimiter and prefix.
	lv, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b, Delimiter: aws.String("/")})
	if err != nil || len(lv.Versions) != 2 || !slices.Equal(prefixes(lv.CommonPrefixes), []string{"dir/"}) || aws.ToString(lv.Delimiter) != "/" {
		t.Fatalf("delimited listing: %v %v, %v", len(lv.Versions), prefixes(lv.CommonPrefixes), err)
	}
	lv, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b, Prefix: aws.String("dir/")})
	if err != nil || len(lv.Versions) != 2 || aws.ToString(lv.Versions[0].Key) != "dir/b" || aws.ToString(lv.Prefix) != "dir/" {
		t.Fatalf("prefixed listing: %+v, %v", lv.Versions, err)
	}
	// Reads and deletes look exactly as before: no version headers.
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("a")})
	if err != nil || g.VersionId != nil {
		t.Fatalf("GetObject: %v, version %v", err, g.VersionId)
	}
	mustRead(t, g.Body)
	g, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("a"), VersionId: aws.String("null")})
	if err != nil || string(mustRead(t, g.Body)) != "body-a" || g.VersionId != nil {
		t.Fatalf("GetObject ?versionId=null: %v", err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("a"), VersionId: aws.String("null")})
	if err != nil || aws.ToInt64(h.ContentLength) != 6 || h.VersionId != nil {
		t.Fatalf("HeadObject ?versionId=null: %+v, %v", h, err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("a"), VersionId: aws.String("not/a-version")})
	wantAPIError(t, err, "InvalidArgument", "Invalid version id specified")
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("z")})
	if err != nil || d.VersionId != nil || d.DeleteMarker != nil {
		t.Fatalf("DeleteObject: %+v, %v", d, err)
	}
	put(t, c, b, "n", []byte("n"))
	d, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("n"), VersionId: aws.String("null")})
	if err != nil || d.VersionId != nil || d.DeleteMarker != nil {
		t.Fatalf("DeleteObject ?versionId=null: %+v, %v", d, err)
	}
	wantVersions(t, c, b, versionRow{"a", "null", true, false}, versionRow{"dir/b", "null", true, false}, versionRow{"dir/c", "null", true, false})
	// max-keys 0 and bad arguments.
	lv, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b, MaxKeys: aws.Int32(0)})
	if err != nil || len(lv.Versions) != 0 || aws.ToBool(lv.IsTruncated) {
		t.Fatalf("max-keys 0: %+v, %v", lv, err)
	}
	_, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b, MaxKeys: aws.Int32(-1)})
	wantAPIError(t, err, "InvalidArgument", "max-keys")
	_, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b, VersionIdMarker: aws.String("null")})
	wantAPIError(t, err, "InvalidArgument", "A version-id marker cannot be specified without a key marker.")
	_, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b, KeyMarker: aws.String("a"), VersionIdMarker: aws.String("bogus!")})
	wantAPIError(t, err, "InvalidArgument", "Invalid version id specified")
	_, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b + "-missing")})
	wantAPIError(t, err, "NoSuchBucket", "The specified bucket does not exist.")
	// encoding-type=url encodes keys, prefixes, markers and the delimiter.
	put(t, c, b, "sp ace/x+y", []byte("1"))
	resp = e.sendSigned(t, "GET", "/"+b+"?versions&encoding-type=url&delimiter=%2F&prefix=sp%20&key-marker=sp%20a", nil, nil)
	for _, want := range []string{"<Prefix>sp%20</Prefix>", "<KeyMarker>sp%20a</KeyMarker>", "<Delimiter>/</Delimiter>",
		"<EncodingType>url</EncodingType>", "<CommonPrefixes><Prefix>sp%20ace/</Prefix></CommonPrefixes>"} {
		if resp.status != 200 || !strings.Contains(resp.body, want) {
			t.Fatalf("encoded listing lacks %s: %d %s", want, resp.status, resp.body)
		}
	}
	resp = e.sendSigned(t, "GET", "/"+b+"?versions&encoding-type=url&prefix=sp", nil, nil)
	if !strings.Contains(resp.body, "<Key>sp%20ace/x%2By</Key>") {
		t.Fatalf("encoded key: %s", resp.body)
	}
	put(t, c, b, "sp ace/y", []byte("2"))
	resp = e.sendSigned(t, "GET", "/"+b+"?versions&encoding-type=url&prefix=sp&max-keys=1", nil, nil)
	if !strings.Contains(resp.body, "<NextKeyMarker>sp%20ace/x%2By</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>") ||
		!strings.Contains(resp.body, "<IsTruncated>true</IsTruncated>") {
		t.Fatalf("encoded next marker: %s", resp.body)
	}
}

func testVersionsPaging(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	var want []string // newest first per key, keys ascending
	for _, k := range []string{"k1", "k2", "k3"} {
		var ids []string
		for i := range 3 {
			ids = append(ids, putVersion(t, c, b, k, fmt.Sprintf("%s-%d", k, i)))
		}
		for i := len(ids) - 1; i >= 0; i-- {
			want = append(want, k+"@"+ids[i])
		}
	}
	for _, size := range []int32{1, 2, 4, 1000} {
		var got []string
		in := &s3.ListObjectVersionsInput{Bucket: &b, MaxKeys: aws.Int32(size)}
		for page := 0; ; page++ {
			if page > 20 {
				t.Fatal("listing does not end")
			}
			out, err := c.ListObjectVersions(ctx, in)
			if err != nil {
				t.Fatalf("page %d: %v", page, err)
			}
			if len(out.Versions) > int(size) {
				t.Fatalf("page of %d versions for max-keys %d", len(out.Versions), size)
			}
			for _, v := range out.Versions {
				got = append(got, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
			}
			if !aws.ToBool(out.IsTruncated) {
				if out.NextKeyMarker != nil || out.NextVersionIdMarker != nil {
					t.Fatalf("last page carries next markers %v %v", aws.ToString(out.NextKeyMarker), aws.ToString(out.NextVersionIdMarker))
				}
				break
			}
			if aws.ToString(out.NextKeyMarker) == "" || aws.ToString(out.NextVersionIdMarker) == "" {
				t.Fatalf("truncated page without next markers: %+v", out)
			}
			in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
		}
		if !slices.Equal(got, want) {
			t.Fatalf("max-keys %d:\n got  %v\n want %v", size, got, want)
		}
	}
	// A key marker alone starts after every version of that key.
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b, KeyMarker: aws.String("k2")})
	if err != nil || len(out.Versions) != 3 || aws.ToString(out.Versions[0].Key) != "k3" || aws.ToString(out.KeyMarker) != "k2" {
		t.Fatalf("key-marker k2: %d versions, %v", len(out.Versions), err)
	}
	// Delimited paging: a common prefix counts as one entry and the next
	// page starts after everything under it.
	for _, k := range []string{"d/1", "d/2", "d/3"} {
		putVersion(t, c, b, k, k)
	}
	var seen []string
	in := &s3.ListObjectVersionsInput{Bucket: &b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)}
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("delimited listing does not end")
		}
		out, err := c.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatalf("delimited page %d: %v", page, err)
		}
		if n := len(out.Versions) + len(out.CommonPrefixes); n > 2 || n == 0 {
			t.Fatalf("delimited page of %d entries", n)
		}
		seen = append(seen, prefixes(out.CommonPrefixes)...)
		for _, v := range out.Versions {
			seen = append(seen, aws.ToString(v.Key))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if want := []string{"d/", "k1", "k1", "k1", "k2", "k2", "k2", "k3", "k3", "k3"}; !slices.Equal(seen, want) {
		t.Fatalf("delimited paging saw %v, want %v", seen, want)
	}
	// Latest flags: exactly the first version of each key k1..k3.
	rows := slices.DeleteFunc(listVersions(t, c, b), func(r versionRow) bool { return strings.HasPrefix(r.Key, "d/") })
	for i, v := range rows {
		if v.Latest != (i%3 == 0) {
			t.Fatalf("version %d %s: latest %v", i, v, v.Latest)
		}
	}
}

func testVersionLifecycle(t *testing.T, e *testEnv, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	put(t, c, b, "old", []byte("before versioning"))
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	v1 := putVersion(t, c, b, "k", "one")
	v2 := putVersion(t, c, b, "k", "two")
	if v1 == v2 {
		t.Fatalf("two PUTs share version %s", v1)
	}
	if body, vid := getVersion(t, c, b, "k", ""); body != "two" || vid != v2 {
		t.Fatalf("GET current = %q %s, want two %s", body, vid, v2)
	}
	if body, vid := getVersion(t, c, b, "k", v1); body != "one" || vid != v1 {
		t.Fatalf("GET v1 = %q %s", body, vid)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &v1})
	if err != nil || aws.ToString(h.VersionId) != v1 || aws.ToInt64(h.ContentLength) != 3 {
		t.Fatalf("HEAD v1: %+v, %v", h, err)
	}
	// The object written before versioning is the null version.
	if body, vid := getVersion(t, c, b, "old", ""); body != "before versioning" || vid != "null" {
		t.Fatalf("GET pre-versioning object = %q version %q", body, vid)
	}

	// DELETE without a version adds a delete marker.
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil || !aws.ToBool(d.DeleteMarker) || aws.ToString(d.VersionId) == "" {
		t.Fatalf("DeleteObject: %+v, %v", d, err)
	}
	dm := aws.ToString(d.VersionId)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	wantAPIError(t, err, "NoSuchKey", "The specified key does not exist.")
	if errHeader(t, err, "X-Amz-Delete-Marker") != "true" || errHeader(t, err, "X-Amz-Version-Id") != dm {
		t.Fatalf("GET of a deleted key: marker %q version %q", errHeader(t, err, "X-Amz-Delete-Marker"), errHeader(t, err, "X-Amz-Version-Id"))
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
	wantHTTPStatus(t, err, 404)
	if errHeader(t, err, "X-Amz-Delete-Marker") != "true" || errHeader(t, err, "X-Amz-Version-Id") != dm {
		t.Fatal("HEAD of a deleted key lacks the marker headers")
	}
	// GET/HEAD of the marker by version id: 405.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &dm})
	wantAPIError(t, err, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	wantHTTPStatus(t, err, 405)
	if errHeader(t, err, "X-Amz-Delete-Marker") != "true" || errHeader(t, err, "Allow") != "DELETE" || errHeader(t, err, "X-Amz-Version-Id") != dm {
		t.Fatal("GET of a delete marker lacks its headers")
	}
	for _, lm := range []string{errHeader(t, err, "Last-Modified"), errHeader(t, wantErr404(ctx, c, b), "Last-Modified")} {
		if at, perr := http.ParseTime(lm); perr != nil || time.Since(at) > time.Hour || time.Until(at) > time.Minute {
			t.Fatalf("delete marker answers carry Last-Modified %q, want the marker's time", lm)
		}
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &dm})
	wantHTTPStatus(t, err, 405)
	// Conditional writes see a deleted key as absent.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("x"), IfMatch: aws.String(`"*"`)})
	wantAPIError(t, err, "NoSuchKey", "does not exist")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k2"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k2")}); err != nil {
		t.Fatal(err)
	}
	cw, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k2"), Body: strings.NewReader("again"), IfNoneMatch: aws.String("*")})
	if err != nil || aws.ToString(cw.VersionId) == "" {
		t.Fatalf("If-None-Match: * over a delete marker: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k2"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	wantAPIError(t, err, "PreconditionFailed", "pre-conditions")
	for _, r := range listVersions(t, c, b) {
		if r.Key == "k2" {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k2"), VersionId: &r.VersionID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A Range read of an old version names it.
	rg, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &v1, Range: aws.String("bytes=1-")})
	if err != nil || string(mustRead(t, rg.Body)) != "ne" || aws.ToString(rg.VersionId) != v1 || aws.ToString(rg.ContentRange) != "bytes 1-2/3" {
		t.Fatalf("Range GET of v1: %v", err)
	}
	// Old versions stay readable; listings hide the key.
	if body, _ := getVersion(t, c, b, "k", v1); body != "one" {
		t.Fatalf("v1 after delete: %q", body)
	}
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil || !slices.Equal(objKeys(l.Contents), []string{"old"}) {
		t.Fatalf("ListObjectsV2 after delete: %v, %v", objKeys(l.Contents), err)
	}
	wantVersions(t, c, b, versionRow{"k", dm, true, true}, versionRow{"k", v2, false, false}, versionRow{"k", v1, false, false},
		versionRow{"old", "null", true, false})
	if got, want := rawVersionOrder(t, e, b, ""), []string{"M:k@" + dm, "V:k@" + v2, "V:k@" + v1, "V:old@null"}; !slices.Equal(got, want) {
		t.Fatalf("document order %v, want %v", got, want)
	}

	// Unknown and malformed version ids.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String("junk id")})
	wantAPIError(t, err, "InvalidArgument", "Invalid version id specified")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String("junk id")})
	wantAPIError(t, err, "InvalidArgument", "Invalid version id specified")

	// Deleting the marker by id undeletes the key.
	d, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &dm})
	if err != nil || !aws.ToBool(d.DeleteMarker) || aws.ToString(d.VersionId) != dm {
		t.Fatalf("DeleteObject marker: %+v, %v", d, err)
	}
	if body, vid := getVersion(t, c, b, "k", ""); body != "two" || vid != v2 {
		t.Fatalf("after removing the marker: %q %s", body, vid)
	}
	// Deleting the current version promotes the previous one.
	d, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &v2})
	if err != nil || d.DeleteMarker != nil || aws.ToString(d.VersionId) != v2 {
		t.Fatalf("DeleteObject v2: %+v, %v", d, err)
	}
	if body, vid := getVersion(t, c, b, "k", ""); body != "one" || vid != v1 {
		t.Fatalf("after removing v2: %q %s", body, vid)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &v2})
	wantAPIError(t, err, "NoSuchVersion", "The specified version does not exist.")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &v2})
	wantHTTPStatus(t, err, 404)
	// Deleting a version that is gone is still 204.
	d, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &v2})
	if err != nil || aws.ToString(d.VersionId) != v2 {
		t.Fatalf("DeleteObject of a removed version: %+v, %v", d, err)
	}
	wantVersions(t, c, b, versionRow{"k", v1, true, false}, versionRow{"old", "null", true, false})

	// CompleteMultipartUpload makes a version too.
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("k"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("multi"))})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("k"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32}}}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	v3 := aws.ToString(done.VersionId)
	if v3 == "" || v3 == v1 {
		t.Fatalf("CompleteMultipartUpload version %q", v3)
	}
	if body, vid := getVersion(t, c, b, "k", v3); body != "multi" || vid != v3 {
		t.Fatalf("GET multipart version: %q %s", body, vid)
	}
	wantVersions(t, c, b, versionRow{"k", v3, true, false}, versionRow{"k", v1, false, false}, versionRow{"old", "null", true, false})
}

func testVersioningSuspended(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	v1 := putVersion(t, c, b, "k", "one")
	enableVersioning(t, c, b, types.BucketVersioningStatusSuspended)
	for _, body := range []string{"null-1", "null-2"} {
		out := put(t, c, b, "k", []byte(body))
		if aws.ToString(out.VersionId) != "null" {
			t.Fatalf("PutObject while suspended: version %q, want null", aws.ToString(out.VersionId))
		}
	}
	// The second write replaced the null version; v1 is kept.
	wantVersions(t, c, b, versionRow{"k", "null", true, false}, versionRow{"k", v1, false, false})
	if body, vid := getVersion(t, c, b, "k", "null"); body != "null-2" || vid != "null" {
		t.Fatalf("GET null version: %q %q", body, vid)
	}
	// DELETE while suspended: a null delete marker replaces the null version.
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil || !aws.ToBool(d.DeleteMarker) || aws.ToString(d.VersionId) != "null" {
		t.Fatalf("DeleteObject while suspended: %+v, %v", d, err)
	}
	wantVersions(t, c, b, versionRow{"k", "null", true, true}, versionRow{"k", v1, false, false})
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	wantAPIError(t, err, "NoSuchKey", "The specified key does not exist.")
	if errHeader(t, err, "X-Amz-Version-Id") != "null" {
		t.Fatalf("null marker version header %q", errHeader(t, err, "X-Amz-Version-Id"))
	}
	// Enabled again: new ids; the null marker stays as an older version.
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	v3 := putVersion(t, c, b, "k", "three")
	wantVersions(t, c, b, versionRow{"k", v3, true, false}, versionRow{"k", "null", false, true}, versionRow{"k", v1, false, false})
}

func testVersionedCopy(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	src := "dir/a b+c"
	v1 := putVersion(t, c, b, src, "first")
	v2 := putVersion(t, c, b, src, "second")
	source := func(vid string) *string {
		s := b + "/" + url.PathEscape(src)
		s = strings.ReplaceAll(s, "%2F", "/")
		if vid != "" {
			s += "?versionId=" + vid
		}
		return &s
	}
	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst"), CopySource: source(v1)})
	if err != nil {
		t.Fatalf("CopyObject v1: %v", err)
	}
	if aws.ToString(out.CopySourceVersionId) != v1 || aws.ToString(out.VersionId) == "" {
		t.Fatalf("CopyObject: source version %q, new version %q", aws.ToString(out.CopySourceVersionId), aws.ToString(out.VersionId))
	}
	if body, vid := getVersion(t, c, b, "dst", ""); body != "first" || vid != aws.ToString(out.VersionId) {
		t.Fatalf("copied %q %s", body, vid)
	}
	out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst2"), CopySource: source("")})
	if err != nil || aws.ToString(out.CopySourceVersionId) != v2 {
		t.Fatalf("CopyObject current: %v, source version %q", err, aws.ToString(out.CopySourceVersionId))
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst"), CopySource: source("bad~id")})
	wantAPIError(t, err, "InvalidArgument", "Invalid version id specified")

	// Restoring an old version by copying it onto its own key.
	out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: &src, CopySource: source(v1)})
	if err != nil {
		t.Fatalf("restore v1 by copy: %v", err)
	}
	restored := aws.ToString(out.VersionId)
	if body, vid := getVersion(t, c, b, src, ""); body != "first" || vid != restored || restored == v1 {
		t.Fatalf("after restore: %q %s (v1 %s)", body, vid, v1)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: &src, CopySource: source("")})
	wantAPIError(t, err, "InvalidRequest", "copy an object to itself")
	// REPLACE onto itself makes a new version with the new metadata.
	out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: &src, CopySource: source(""),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"m": "1"}})
	if err != nil || aws.ToString(out.VersionId) == restored {
		t.Fatalf("REPLACE onto itself: %v, version %q", err, aws.ToString(out.VersionId))
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &src, VersionId: &restored})
	if err != nil || len(h.Metadata) != 0 {
		t.Fatalf("the restored version changed: %v %v", h.Metadata, err)
	}

	// Delete markers: current one is NoSuchKey, one named by id InvalidRequest.
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: &src})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst3"), CopySource: source("")})
	wantAPIError(t, err, "NoSuchKey", "The specified key does not exist.")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst3"), CopySource: source(aws.ToString(d.VersionId))})
	wantAPIError(t, err, "InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id.")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst3"), CopySource: source(v2)})
	if err != nil {
		t.Fatalf("copy of a version hidden by a marker: %v", err)
	}

	// UploadPartCopy from an old version.
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), CopySource: source(v1)})
	if err != nil {
		t.Fatalf("UploadPartCopy v1: %v", err)
	}
	if aws.ToString(pc.CopySourceVersionId) != v1 {
		t.Fatalf("UploadPartCopy source version %q", aws.ToString(pc.CopySourceVersionId))
	}
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(2), CopySource: source(aws.ToString(d.VersionId))})
	wantAPIError(t, err, "InvalidRequest", "delete marker")
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}})
	if err != nil || aws.ToString(done.VersionId) == "" {
		t.Fatalf("Complete: %v, version %q", err, aws.ToString(done.VersionId))
	}
	if body, _ := getVersion(t, c, b, "mp", ""); body != "first" {
		t.Fatalf("part copy of v1 = %q", body)
	}

	// Never-versioned buckets: no version headers on copies.
	plain := b + "-plain"
	mkBucket(t, c, plain)
	put(t, c, plain, "s", []byte("s"))
	out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &plain, Key: aws.String("d"), CopySource: aws.String(plain + "/s")})
	if err != nil || out.VersionId != nil || out.CopySourceVersionId != nil {
		t.Fatalf("copy on a never-versioned bucket: %+v, %v", out, err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &plain, Key: aws.String("s"), CopySource: aws.String(plain + "/s?versionId=null")})
	wantAPIError(t, err, "InvalidRequest", "copy an object to itself")
	// Across buckets: the source's version, the destination's header.
	out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("from-plain"), CopySource: aws.String(plain + "/s")})
	if err != nil || out.CopySourceVersionId != nil || aws.ToString(out.VersionId) == "" {
		t.Fatalf("copy plain -> versioned: %+v, %v", out, err)
	}
	out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &plain, Key: aws.String("from-versioned"), CopySource: source(v2)})
	if err != nil || aws.ToString(out.CopySourceVersionId) != v2 || out.VersionId != nil {
		t.Fatalf("copy versioned -> plain: %+v, %v", out, err)
	}
}

func testVersionedDeleteObjects(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	x1 := putVersion(t, c, b, "x", "x1")
	x2 := putVersion(t, c, b, "x", "x2")
	y1 := putVersion(t, c, b, "y", "y1")
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("x"), VersionId: &x1},
		{Key: aws.String("y")},
		{Key: aws.String("x"), VersionId: aws.String("no such id!")},
	}}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	if len(out.Deleted) != 2 || len(out.Errors) != 1 {
		t.Fatalf("deleted %+v errors %+v", out.Deleted, out.Errors)
	}
	dx, dy := out.Deleted[0], out.Deleted[1]
	if aws.ToString(dx.Key) != "x" || aws.ToString(dx.VersionId) != x1 || dx.DeleteMarker != nil || dx.DeleteMarkerVersionId != nil {
		t.Fatalf("deleted x@x1: %+v", dx)
	}
	ym := aws.ToString(dy.DeleteMarkerVersionId)
	if aws.ToString(dy.Key) != "y" || dy.VersionId != nil || !aws.ToBool(dy.DeleteMarker) || ym == "" {
		t.Fatalf("deleted y: %+v", dy)
	}
	if e := out.Errors[0]; aws.ToString(e.Key) != "x" || aws.ToString(e.Code) != "NoSuchVersion" || aws.ToString(e.VersionId) != "no such id!" {
		t.Fatalf("error entry: %+v", e)
	}
	wantVersions(t, c, b, versionRow{"x", x2, true, false}, versionRow{"y", ym, true, true}, versionRow{"y", y1, false, false})
	// Removing the marker by id: the entry says it was a marker.
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("y"), VersionId: &ym},
	}}})
	if err != nil || len(out.Deleted) != 1 {
		t.Fatalf("DeleteObjects marker: %+v, %v", out, err)
	}
	if d := out.Deleted[0]; aws.ToString(d.VersionId) != ym || !aws.ToBool(d.DeleteMarker) || aws.ToString(d.DeleteMarkerVersionId) != ym {
		t.Fatalf("deleted marker entry: %+v", d)
	}
	if body, _ := getVersion(t, c, b, "y", ""); body != "y1" {
		t.Fatalf("y after removing its marker: %q", body)
	}
	// Quiet: nothing reported, everything done (deleting a gone version is fine).
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{
		{Key: aws.String("x"), VersionId: &x2}, {Key: aws.String("y"), VersionId: &y1}, {Key: aws.String("x"), VersionId: &x1},
	}}})
	if err != nil || len(out.Deleted) != 0 || len(out.Errors) != 0 {
		t.Fatalf("quiet DeleteObjects: %+v, %v", out, err)
	}
	wantVersions(t, c, b)
}

func testVersionedTagging(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("1"), Tagging: aws.String("gen=1")})
	if err != nil {
		t.Fatal(err)
	}
	v1 := aws.ToString(out.VersionId)
	v2 := putVersion(t, c, b, "k", "2")
	tags := func(vid string) (string, string) {
		t.Helper()
		in := &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("k")}
		if vid != "" {
			in.VersionId = &vid
		}
		g, err := c.GetObjectTagging(ctx, in)
		if err != nil {
			t.Fatalf("GetObjectTagging %s: %v", vid, err)
		}
		var s []string
		for _, tg := range g.TagSet {
			s = append(s, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		return strings.Join(s, ","), aws.ToString(g.VersionId)
	}
	if got, vid := tags(v1); got != "gen=1" || vid != v1 {
		t.Fatalf("tags of v1: %q %s", got, vid)
	}
	if got, vid := tags(""); got != "" || vid != v2 {
		t.Fatalf("tags of current: %q %s", got, vid)
	}
	pt, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("k"), VersionId: &v1,
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("old"), Value: aws.String("yes")}}}})
	if err != nil || aws.ToString(pt.VersionId) != v1 {
		t.Fatalf("PutObjectTagging v1: %+v, %v", pt, err)
	}
	pt, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("cur"), Value: aws.String("1")}}}})
	if err != nil || aws.ToString(pt.VersionId) != v2 {
		t.Fatalf("PutObjectTagging current: %+v, %v", pt, err)
	}
	if got, _ := tags(v1); got != "old=yes" {
		t.Fatalf("tags of v1 after put: %q", got)
	}
	if got, _ := tags(v2); got != "cur=1" {
		t.Fatalf("tags of v2 after put: %q", got)
	}
	dt, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &b, Key: aws.String("k"), VersionId: &v1})
	if err != nil || aws.ToString(dt.VersionId) != v1 {
		t.Fatalf("DeleteObjectTagging v1: %+v, %v", dt, err)
	}
	if got, _ := tags(v1); got != "" {
		t.Fatalf("tags of v1 after delete: %q", got)
	}
	if got, _ := tags(v2); got != "cur=1" {
		t.Fatalf("v2 lost its tags: %q", got)
	}
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String("zzz")})
	wantAPIError(t, err, "InvalidArgument", "Invalid version id specified")
	// A delete marker has no tags.
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("k"), VersionId: d.VersionId})
	wantAPIError(t, err, "MethodNotAllowed", "not allowed")
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("k"), VersionId: d.VersionId,
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}})
	wantAPIError(t, err, "MethodNotAllowed", "not allowed")
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("k")})
	wantAPIError(t, err, "NoSuchKey", "does not exist")
	// Never-versioned tagging answers carry no version.
	plain := b + "-plain"
	mkBucket(t, c, plain)
	put(t, c, plain, "k", []byte("x"))
	pt, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &plain, Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}})
	if err != nil || pt.VersionId != nil {
		t.Fatalf("never-versioned PutObjectTagging: %+v, %v", pt, err)
	}
	g, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &plain, Key: aws.String("k")})
	if err != nil || g.VersionId != nil || len(g.TagSet) != 1 {
		t.Fatalf("never-versioned GetObjectTagging: %+v, %v", g, err)
	}
}

func testBucketVersioningErrors(t *testing.T, e *testEnv, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: "Bogus"}})
	wantAPIError(t, err, "MalformedXML", "not well-formed")
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled, MFADelete: types.MFADeleteEnabled}})
	wantAPIError(t, err, "NotImplemented", "MFA Delete is not implemented.")
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b + "-missing"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	wantAPIError(t, err, "NoSuchBucket", "does not exist")
	_, err = c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b + "-missing")})
	wantAPIError(t, err, "NoSuchBucket", "does not exist")
	// Nothing refused changed the bucket.
	got, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || got.Status != "" {
		t.Fatalf("after refused requests: %q, %v", got.Status, err)
	}
	body := []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
	resp := e.sendSigned(t, "PUT", "/"+b+"?versioning", nil, body)
	if resp.status != 400 || !strings.Contains(resp.body, "<Code>InvalidRequest</Code>") || !strings.Contains(resp.body, "Content-MD5") {
		t.Fatalf("PutBucketVersioning without a digest: %d %s", resp.status, resp.body)
	}
	resp = e.sendSigned(t, "PUT", "/"+b+"?versioning", http.Header{"Content-Md5": {md5b64([]byte("other"))}}, body)
	if resp.status != 400 || !strings.Contains(resp.body, "<Code>BadDigest</Code>") {
		t.Fatalf("PutBucketVersioning with a wrong digest: %d %s", resp.status, resp.body)
	}
	resp = e.sendSigned(t, "PUT", "/"+b+"?versioning", http.Header{"Content-Md5": {md5b64(body[:20])}}, body[:20])
	if resp.status != 400 || !strings.Contains(resp.body, "<Code>MalformedXML</Code>") {
		t.Fatalf("PutBucketVersioning with truncated XML: %d %s", resp.status, resp.body)
	}
	got, err = c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || got.Status != "" {
		t.Fatalf("after refused raw requests: %q, %v", got.Status, err)
	}
	resp = e.sendSigned(t, "PUT", "/"+b+"?versioning", http.Header{"Content-Md5": {md5b64(body)}}, body)
	if resp.status != 200 {
		t.Fatalf("PutBucketVersioning with Content-MD5: %d %s", resp.status, resp.body)
	}
	resp = e.sendSigned(t, "GET", "/"+b+"?versioning", nil, nil)
	if !strings.HasSuffix(resp.body, `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`) {
		t.Fatalf("GetBucketVersioning: %s", resp.body)
	}
}

func md5hex(b []byte) string { return fmt.Sprintf("%x", md5.Sum(b)) }

// testVersionedDeleteBucket: a bucket whose keys are all deleted still
// holds versions and markers, so it is not empty until they go.
func testVersionedDeleteBucket(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	putVersion(t, c, b, "k", "1")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil || len(l.Contents) != 0 {
		t.Fatalf("ListObjectsV2 of a deleted key: %v, %v", objKeys(l.Contents), err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b})
	wantAPIError(t, err, "BucketNotEmpty", "not empty")
	for _, r := range listVersions(t, c, b) {
		d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: &r.Key, VersionId: &r.VersionID})
		if err != nil || aws.ToString(d.VersionId) != r.VersionID || aws.ToBool(d.DeleteMarker) != r.Marker {
			t.Fatalf("DeleteObject %s: %+v, %v", r, d, err)
		}
	}
	wantVersions(t, c, b)
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucket once every version is gone: %v", err)
	}
}

// testConcurrentVersions: concurrent writers of one key each get their own
// version; exactly one is the latest, and it is what GET returns.
func testConcurrentVersions(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	const writers, each = 4, 5
	ids := make(chan string, writers*each)
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("hot"), Body: strings.NewReader(fmt.Sprintf("%d-%d", w, i))})
				if err != nil {
					errs <- err
					return
				}
				ids <- aws.ToString(out.VersionId)
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent PutObject: %v", err)
		}
	}
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] || !storage.ValidVersionID(id) || id == storage.NullVersion {
			t.Fatalf("version id %q repeated or invalid", id)
		}
		seen[id] = true
	}
	rows := listVersions(t, c, b)
	var latest []string
	for _, r := range rows {
		if !seen[r.VersionID] {
			t.Fatalf("listed version %s was never returned by a PUT", r)
		}
		if r.Latest {
			latest = append(latest, r.VersionID)
		}
	}
	if len(rows) != writers*each || len(latest) != 1 {
		t.Fatalf("%d versions listed, latest %v", len(rows), latest)
	}
	if _, vid := getVersion(t, c, b, "hot", ""); vid != latest[0] {
		t.Fatalf("GET returns version %s, the listing's latest is %s", vid, latest[0])
	}
}

// wantErr404 is the error of a GET of key "k" whose current version is a delete marker.
func wantErr404(ctx context.Context, c *s3.Client, b string) error {
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	return err
}
