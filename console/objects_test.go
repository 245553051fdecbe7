package console_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/storage"
)

// rawDo sends body (length n; -1 unknown) with the client's session and
// CSRF token and returns the status, headers and whole answer.
func (c *client) rawDo(method, path string, body io.Reader, n int64) (int, http.Header, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.ContentLength = n
	if n == 0 {
		req.Body = http.NoBody
	}
	req.AddCookie(&http.Cookie{Name: "coffer_session", Value: c.session})
	if !c.noCSRF {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

// objectsPage is the answer of GET .../objects.
type objectsPage struct {
	Objects []struct {
		Key, ETag, ContentType string
		Size                   int64
	}
	Prefixes  []string
	Truncated bool
	Next      string
}

func (c *client) listPage(bucket, query string) objectsPage {
	c.t.Helper()
	var p objectsPage
	c.do("GET", "/api/containers/"+bucket+"/objects?"+query, nil).want(http.StatusOK).decode(&p)
	return p
}

// TestObjectsListPaged walks 250 objects and 3 folders page by page: every
// key once, in order, pages of the requested size, folders folded.
func TestObjectsListPaged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "photos"}).want(http.StatusCreated)
	var want []string
	for i := range 250 {
		k := fmt.Sprintf("img-%04d.jpg", i)
		want = append(want, k)
		e.putObject("acme", "photos", k, "x")
	}
	for _, k := range []string{"a/1", "a/2", "b/c/3", "zz/4"} {
		e.putObject("acme", "photos", k, "y")
	}
	var keys, prefixes []string
	after := ""
	pages := 0
	for {
		p := c.listPage("photos", "limit=100&after="+url.QueryEscape(after))
		pages++
		if len(p.Objects)+len(p.Prefixes) > 100 {
			t.Fatalf("page %d holds %d entries", pages, len(p.Objects)+len(p.Prefixes))
		}
		for _, o := range p.Objects {
			keys = append(keys, o.Key)
		}
		prefixes = append(prefixes, p.Prefixes...)
		if !p.Truncated {
			break
		}
		if p.Next == "" || pages > 10 {
			t.Fatalf("page %d truncated with next %q", pages, p.Next)
		}
		after = p.Next
	}
	if pages != 3 || strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("%d pages, %d keys (want 3 pages, %d keys)", pages, len(keys), len(want))
	}
	if strings.Join(prefixes, ",") != "a/,b/,zz/" {
		t.Fatalf("prefixes %v", prefixes)
	}
	// Inside a folder, with a prefix filter, and a page size clamped to 100..1000.
	p := c.listPage("photos", "prefix=b/")
	if len(p.Objects) != 0 || strings.Join(p.Prefixes, ",") != "b/c/" {
		t.Fatalf("prefix b/: %+v", p)
	}
	p = c.listPage("photos", "prefix=img-01&limit=5")
	if len(p.Objects) != 100 || p.Truncated || p.Objects[0].Key != "img-0100.jpg" {
		t.Fatalf("prefix img-01 limit 5 (clamped to 100): %d objects, truncated %v", len(p.Objects), p.Truncated)
	}
	p = c.listPage("photos", "limit=999999")
	if len(p.Objects)+len(p.Prefixes) != 253 || p.Truncated {
		t.Fatalf("limit 999999: %d entries", len(p.Objects)+len(p.Prefixes))
	}
	c.do("GET", "/api/containers/photos/objects?limit=x", nil).wantError(http.StatusBadRequest, "limit")
	c.do("GET", "/api/containers/photos/objects?prefix="+strings.Repeat("p", 1025), nil).wantError(http.StatusBadRequest, "prefix is 1025 bytes")
	c.do("GET", "/api/containers/nope/objects", nil).wantError(http.StatusNotFound, "no container named nope")
	// Another tenant's container of the same name is not reachable.
	other := e.tenant("other", storage.Quota{})
	other.do("GET", "/api/containers/photos/objects", nil).wantError(http.StatusNotFound, "no container named photos")
}

// TestObjectUploadSmallAndDownload puts a file in one request and gets it
// back as a safe attachment.
func TestObjectUploadSmallAndDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "docs"}).want(http.StatusCreated)
	body := "<html><script>alert(1)</script></html>"
	key := `dir/evil "name";.html`
	q := "?key=" + url.QueryEscape(key) + "&contentType=" + url.QueryEscape("text/html")
	st, _, out := c.rawDo("PUT", "/api/containers/docs/object"+q, strings.NewReader(body), int64(len(body)))
	if st != http.StatusCreated {
		t.Fatalf("PUT object: %d %s", st, out)
	}
	info, err := e.store.GetObjectInfo(context.Background(), "acme", "docs", key)
	if err != nil || info.Size != int64(len(body)) || info.Meta.ContentType != "text/html" {
		t.Fatalf("stored %+v, %v", info, err)
	}
	st, h, got := c.rawDo("GET", "/api/containers/docs/object?key="+url.QueryEscape(key), nil, 0)
	if st != http.StatusOK || string(got) != body {
		t.Fatalf("download: %d %q", st, got)
	}
	if h.Get("Content-Type") != "application/octet-stream" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download headers %v", h)
	}
	cd := h.Get("Content-Disposition")
	if cd != `attachment; filename="evil _name__.html"; filename*=UTF-8''evil%20%22name%22%3B.html` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	// Refused before storage: no length, too long a key, a bad content type, a missing object.
	st, _, out = c.rawDo("PUT", "/api/containers/docs/object?key=k", strings.NewReader("abc"), -1)
	if st != http.StatusLengthRequired {
		t.Fatalf("PUT without length: %d %s", st, out)
	}
	long := strings.Repeat("k", 1025)
	st, _, out = c.rawDo("PUT", "/api/containers/docs/object?key="+long, strings.NewReader("abc"), 3)
	if st != http.StatusBadRequest || !strings.Contains(string(out), "invalid object name: it is 1025 bytes") {
		t.Fatalf("long key: %d %s", st, out)
	}
	st, _, out = c.rawDo("PUT", "/api/containers/docs/object?key=k&contentType=%3B%3B", strings.NewReader("abc"), 3)
	if st != http.StatusBadRequest || !strings.Contains(string(out), "contentType") {
		t.Fatalf("bad content type: %d %s", st, out)
	}
	c.do("GET", "/api/containers/docs/object?key=missing", nil).wantError(http.StatusNotFound, "no object named missing in docs")
	c.do("GET", "/api/containers/docs/object", nil).wantError(http.StatusBadRequest, "invalid object name: it is empty")
}

// TestObjectUploadMultipart uploads 3 parts, completes, and downloads the
// exact bytes; a gap in the parts is refused and cancel aborts the upload.
func TestObjectUploadMultipart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "big"}).want(http.StatusCreated)
	data := make([]byte, 2*storage.MinPartSize+12345)
	for i := range data {
		data[i] = byte(i * 7 % 251)
	}
	var up struct{ UploadID, Key string }
	c.do("POST", "/api/containers/big/uploads", map[string]string{"key": "v/movie.bin", "contentType": "video/mp4"}).
		want(http.StatusCreated).decode(&up)
	partURL := func(n int) string {
		return fmt.Sprintf("/api/containers/big/uploads/%s/parts/%d?key=%s", up.UploadID, n, url.QueryEscape("v/movie.bin"))
	}
	complete := "/api/containers/big/uploads/" + up.UploadID + "/complete"
	chunks := [][]byte{data[:storage.MinPartSize], data[storage.MinPartSize : 2*storage.MinPartSize], data[2*storage.MinPartSize:]}
	for i, ch := range chunks {
		if i == 1 {
			continue // first a gap
		}
		st, _, out := c.rawDo("PUT", partURL(i+1), bytes.NewReader(ch), int64(len(ch)))
		if st != http.StatusOK {
			t.Fatalf("part %d: %d %s", i+1, st, out)
		}
	}
	c.do("POST", complete, map[string]any{"key": "v/movie.bin", "parts": 3}).wantError(http.StatusBadRequest, "holds part 3; expected parts 1 to 3")
	st, _, out := c.rawDo("PUT", partURL(2), bytes.NewReader(chunks[1]), int64(len(chunks[1])))
	if st != http.StatusOK {
		t.Fatalf("part 2: %d %s", st, out)
	}
	c.do("POST", complete, map[string]any{"key": "v/movie.bin", "parts": 2}).wantError(http.StatusBadRequest, "expected parts 1 to 2")
	c.do("POST", complete, map[string]any{"key": "v/movie.bin", "parts": 3}).want(http.StatusOK)
	st, h, got := c.rawDo("GET", "/api/containers/big/object?key=v/movie.bin", nil, 0)
	if st != http.StatusOK || sha256.Sum256(got) != sha256.Sum256(data) || h.Get("Content-Length") != fmt.Sprint(len(data)) {
		t.Fatalf("download: %d, %d bytes (want %d)", st, len(got), len(data))
	}
	info, err := e.store.GetObjectInfo(context.Background(), "acme", "big", "v/movie.bin")
	if err != nil || info.PartsCount != 3 || info.Meta.ContentType != "video/mp4" {
		t.Fatalf("stored %+v, %v", info, err)
	}

	// Cancel: the page aborts through the uploads route; the parts go.
	c.do("POST", "/api/containers/big/uploads", map[string]string{"key": "cancelled"}).want(http.StatusCreated).decode(&up)
	st, _, _ = c.rawDo("PUT", fmt.Sprintf("/api/containers/big/uploads/%s/parts/1?key=cancelled", up.UploadID), bytes.NewReader(chunks[0]), int64(len(chunks[0])))
	if st != http.StatusOK {
		t.Fatalf("part: %d", st)
	}
	c.do("DELETE", "/api/containers/big/uploads?key=cancelled&uploadId="+up.UploadID, nil).want(http.StatusOK)
	u, _ := e.store.TenantUsage(context.Background(), "acme")
	if u.Uploads != 0 || u.UploadBytes != 0 {
		t.Fatalf("after cancel: %d uploads, %d bytes", u.Uploads, u.UploadBytes)
	}
	st, _, out = c.rawDo("PUT", fmt.Sprintf("/api/containers/big/uploads/%s/parts/2?key=cancelled", up.UploadID), strings.NewReader("x"), 1)
	if st != http.StatusNotFound || !strings.Contains(string(out), "completed or aborted already") {
		t.Fatalf("part after abort: %d %s", st, out)
	}
	// Bounds: part number, part size, parts count.
	st, _, _ = c.rawDo("PUT", "/api/containers/big/uploads/x/parts/10001?key=k", strings.NewReader("x"), 1)
	if st != http.StatusBadRequest {
		t.Fatalf("part 10001: %d", st)
	}
	st, _, out = c.rawDo("PUT", "/api/containers/big/uploads/x/parts/1?key=k", io.LimitReader(zeros{}, 64<<20+1), 64<<20+1)
	if st != http.StatusRequestEntityTooLarge {
		t.Fatalf("65 MiB part: %d %s", st, out)
	}
	c.do("POST", "/api/containers/big/uploads/x/complete", map[string]any{"key": "k", "parts": 10001}).wantError(http.StatusBadRequest, "parts must be 1 to 10000")
	c.do("POST", "/api/containers/big/uploads", map[string]string{"key": ""}).wantError(http.StatusBadRequest, "invalid object name")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestObjectUploadQuota: a file over the byte quota is refused with the
// quota's own message, and nothing is kept; a suspended tenant cannot upload.
func TestObjectUploadQuota(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{MaxBytes: 100})
	c.do("POST", "/api/containers", map[string]string{"name": "quo"}).want(http.StatusCreated)
	st, _, out := c.rawDo("PUT", "/api/containers/quo/object?key=fits", strings.NewReader(strings.Repeat("a", 60)), 60)
	if st != http.StatusCreated {
		t.Fatalf("fits: %d %s", st, out)
	}
	st, _, out = c.rawDo("PUT", "/api/containers/quo/object?key=over", strings.NewReader(strings.Repeat("a", 60)), 60)
	if st != http.StatusForbidden || !strings.Contains(string(out), "quota") {
		t.Fatalf("over quota: %d %s", st, out)
	}
	if _, err := e.store.GetObjectInfo(context.Background(), "acme", "quo", "over"); err == nil {
		t.Fatal("object over quota was stored")
	}
	if err := e.store.SetSuspended(context.Background(), "acme", true); err != nil {
		t.Fatal(err)
	}
	st, _, out = c.rawDo("PUT", "/api/containers/quo/object?key=x", strings.NewReader("a"), 1)
	if st != http.StatusForbidden || !strings.Contains(string(out), "suspended") {
		t.Fatalf("suspended: %d %s", st, out)
	}
	c.do("POST", "/api/containers/quo/uploads", map[string]string{"key": "x"}).wantError(http.StatusForbidden, "suspended")
	c.do("DELETE", "/api/containers/quo/object?key=fits", nil).wantError(http.StatusForbidden, "suspended")
	// Reads still work.
	c.do("GET", "/api/containers/quo/object?key=fits", nil).want(http.StatusOK)
}

// TestObjectDeleteFolderAndAudit deletes one and many objects, creates a
// folder, and finds each action in the audit log.
func TestObjectDeleteFolderAndAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "box"}).want(http.StatusCreated)
	for _, k := range []string{"a", "b", "c", "d"} {
		e.putObject("acme", "box", k, k)
	}
	c.do("DELETE", "/api/containers/box/object?key=a", nil).want(http.StatusOK)
	var res struct {
		Deleted int
		Results []struct{ Key, Error string }
	}
	long := strings.Repeat("k", 1025)
	c.do("POST", "/api/containers/box/objects/delete", map[string]any{"keys": []string{"b", "c", long}}).want(http.StatusOK).decode(&res)
	if res.Deleted != 2 || len(res.Results) != 3 || res.Results[2].Error == "" || res.Results[0].Error != "" {
		t.Fatalf("multi-delete: %+v", res)
	}
	c.do("POST", "/api/containers/box/objects/delete", map[string]any{"keys": []string{}}).wantError(http.StatusBadRequest, "1 to 1000 keys")
	c.do("POST", "/api/containers/box/folders", map[string]string{"key": "new/sub"}).want(http.StatusCreated)
	c.do("POST", "/api/containers/box/folders", map[string]string{"key": "x//y"}).wantError(http.StatusBadRequest, "invalid folder name")
	p := c.listPage("box", "")
	if len(p.Objects) != 1 || p.Objects[0].Key != "d" || strings.Join(p.Prefixes, ",") != "new/" {
		t.Fatalf("after deletes and folder: %+v", p)
	}
	p = c.listPage("box", "prefix=new/")
	if strings.Join(p.Prefixes, ",") != "new/sub/" {
		t.Fatalf("inside new/: %+v", p)
	}
	events, err := e.auth.ListAudit("acme", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		got = append(got, ev.Action+" "+ev.Target)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"object.delete box/a", "object.delete box/b", "object.delete box/c", "folder.create box/new/sub/"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit log lacks %q:\n%s", want, all)
		}
	}
}

// TestObjectDetailsAndVersions shows metadata and tags, lists versions of a
// key in a versioned container, downloads and deletes one version.
func TestObjectDetailsAndVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "ver"}).want(http.StatusCreated)
	c.do("PUT", "/api/containers/ver/versioning", map[string]string{"state": "Enabled"}).want(http.StatusOK)
	ctx := context.Background()
	var ids []string
	for i, body := range []string{"one", "two", "three"} {
		o, err := e.store.PutObject(ctx, "acme", "ver", "doc.txt", strings.NewReader(body), storage.PutOptions{Size: int64(len(body)),
			Meta: storage.ObjectMeta{ContentType: "text/plain", UserMeta: map[string]string{"owner": fmt.Sprint("n", i)}, Tags: map[string]string{"team": "red"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.VersionID)
	}
	e.putObject("acme", "ver", "doc.txt.bak", "other key")
	var d struct {
		Key, ETag, ContentType, Versioning, VersionID string
		Size                                          int64
		UserMeta, Tags                                map[string]string
		Retention                                     *struct{ Mode string }
	}
	c.do("GET", "/api/containers/ver/object/info?key=doc.txt", nil).want(http.StatusOK).decode(&d)
	if d.Size != 5 || d.ContentType != "text/plain" || d.UserMeta["owner"] != "n2" || d.Tags["team"] != "red" ||
		d.Versioning != "Enabled" || d.VersionID != ids[2] || d.Retention != nil || d.ETag == "" {
		t.Fatalf("details %+v", d)
	}
	var vs struct {
		Versions []struct {
			VersionID string
			IsLatest  bool
			Size      int64
		}
		Truncated bool
	}
	c.do("GET", "/api/containers/ver/object/versions?key=doc.txt", nil).want(http.StatusOK).decode(&vs)
	if len(vs.Versions) != 3 || vs.Truncated || vs.Versions[0].VersionID != ids[2] || !vs.Versions[0].IsLatest || vs.Versions[2].VersionID != ids[0] {
		t.Fatalf("versions %+v (ids %v)", vs, ids)
	}
	st, _, got := c.rawDo("GET", "/api/containers/ver/object?key=doc.txt&versionId="+ids[0], nil, 0)
	if st != http.StatusOK || string(got) != "one" {
		t.Fatalf("old version: %d %q", st, got)
	}
	// Restore the first version: a new current version with its bytes and metadata.
	var restored struct{ VersionID string }
	c.do("POST", "/api/containers/ver/object/restore", map[string]string{"key": "doc.txt", "versionId": ids[0]}).want(http.StatusOK).decode(&restored)
	cur, err := e.store.GetObjectInfo(ctx, "acme", "ver", "doc.txt")
	if err != nil || cur.VersionID != restored.VersionID || cur.Size != 3 || cur.Meta.UserMeta["owner"] != "n0" || cur.Meta.Tags["team"] != "red" {
		t.Fatalf("after restore: %+v, %v", cur, err)
	}
	st, _, got = c.rawDo("GET", "/api/containers/ver/object?key=doc.txt", nil, 0)
	if st != http.StatusOK || string(got) != "one" {
		t.Fatalf("restored download: %d %q", st, got)
	}
	c.do("POST", "/api/containers/ver/object/restore", map[string]string{"key": "doc.txt"}).wantError(http.StatusBadRequest, "name the version")
	if _, err := e.store.DeleteObject(ctx, "acme", "ver", "doc.txt", storage.DeleteOptions{VersionID: restored.VersionID}); err != nil {
		t.Fatal(err)
	}
	c.do("DELETE", "/api/containers/ver/object?key=doc.txt&versionId="+ids[1], nil).want(http.StatusOK)
	c.do("GET", "/api/containers/ver/object/versions?key=doc.txt", nil).want(http.StatusOK).decode(&vs)
	if len(vs.Versions) != 2 {
		t.Fatalf("after deleting a version: %+v", vs)
	}
	// A plain delete leaves a delete marker: details say the object is deleted.
	var del struct{ DeleteMarker bool }
	c.do("DELETE", "/api/containers/ver/object?key=doc.txt", nil).want(http.StatusOK).decode(&del)
	if !del.DeleteMarker {
		t.Fatal("delete in a versioned container made no delete marker")
	}
	c.do("GET", "/api/containers/ver/object/info?key=doc.txt", nil).want(http.StatusNotFound)
	c.do("GET", "/api/containers/ver/object/versions?key=doc.txt", nil).want(http.StatusOK).decode(&vs)
	if len(vs.Versions) != 3 {
		t.Fatalf("versions with the marker: %+v", vs)
	}
	events, _ := e.auth.ListAudit("acme", 100)
	found := false
	for _, ev := range events {
		found = found || (ev.Action == "object.delete_version" && strings.Contains(ev.Target, ids[1]))
	}
	if !found {
		t.Fatal("no audit event for the version delete")
	}
}

// TestObjectLockShown: retention and legal hold of a locked version appear
// in its details, and deleting it is refused with the lock's message.
func TestObjectLockShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	ctx := context.Background()
	if err := e.store.CreateBucket(ctx, "acme", "vault", storage.BucketOptions{ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	o, err := e.store.PutObject(ctx, "acme", "vault", "deed", strings.NewReader("x"), storage.PutOptions{Size: 1, LegalHold: true})
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		LegalHold, ObjectLock bool
	}
	c.do("GET", "/api/containers/vault/object/info?key=deed", nil).want(http.StatusOK).decode(&d)
	if !d.LegalHold || !d.ObjectLock {
		t.Fatalf("details %+v", d)
	}
	c.do("DELETE", "/api/containers/vault/object?key=deed&versionId="+o.VersionID, nil).wantError(http.StatusConflict, "Object Lock")
}

// TestAttachmentName: the download's file name is the key's last segment,
// with an ASCII fallback that cannot break out of its quotes and the exact
// UTF-8 name.
func TestAttachmentName(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"a/b/résumé.pdf":   `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
		"photos/2026/":     `attachment; filename="2026"; filename*=UTF-8''2026`,
		"x\r\nSet-Cookie:": `attachment; filename="x__Set-Cookie:"; filename*=UTF-8''x%0D%0ASet-Cookie%3A`,
		"/":                `attachment; filename="download"; filename*=UTF-8''download`,
		`q"\;%.txt`:        `attachment; filename="q____.txt"; filename*=UTF-8''q%22%5C%3B%25.txt`,
	} {
		if got := console.Attachment(key); got != want {
			t.Errorf("%q: %s, want %s", key, got, want)
		}
	}
}

// TestSlowPartOutlivesReadTimeout: the console listener bounds a whole
// request by its read timeout, meant for small JSON; an upload's body gets
// time for its size (30 s + size at 64 KiB/s), so a part arriving slower
// than the listener's timeout still goes up.
func TestSlowPartOutlivesReadTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "slow"}).want(http.StatusCreated)
	srv := httptest.NewUnstartedServer(e.handler)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	const chunks, size = 8, 8 << 10
	pr, pw := io.Pipe()
	go func() {
		for range chunks {
			time.Sleep(100 * time.Millisecond) // 800 ms in all, past the 300 ms timeout
			if _, err := pw.Write(bytes.Repeat([]byte("s"), size)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	slow := *c
	slow.base = srv.URL
	st, _, out := slow.rawDo("PUT", "/api/containers/slow/object?key=slow.bin", pr, chunks*size)
	if st != http.StatusCreated {
		t.Fatalf("slow upload: %d %s", st, out)
	}
	info, err := e.store.GetObjectInfo(context.Background(), "acme", "slow", "slow.bin")
	if err != nil || info.Size != chunks*size {
		t.Fatalf("stored %+v, %v", info, err)
	}
}
