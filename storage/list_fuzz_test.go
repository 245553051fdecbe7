package storage

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzListing drives ListObjects, ListMultipartUploads and ListParts with
// arbitrary bounds (prefix, delimiter, markers, page sizes: NUL, 0xFF,
// invalid UTF-8, empty, long) over keys the fuzzer chooses too, and
// compares each page, and a whole pagination walk following the Next
// markers, with sorted in-memory models of the S3 semantics. Every call
// runs under a deadline in its own goroutine (see call), so a listing that
// does not end fails the input instead of hanging the fuzzer.
//
// ListObjects v1 (marker) and v2 (start-after, continuation token) both
// reach storage as ListOptions.After (s3api/list.go), so one storage call
// covers both. ListObjectVersions is checked beside them (checkVersions)
// against a model of (key, version) entries: the same keys, each given
// versions, delete markers and at most one null version from the parts
// bytes (fuzzVersions), in a second bucket; its version id marker is the
// fuzzer's (garbage, NUL, 0xFF) or, by idPick, a real one.
//
// One store serves the whole run; each input replaces the records of one
// bucket, written straight into the index in one transaction with fsync
// off (the listing reads only the index; creating them through PutObject
// would cost a data write per object and make the fuzzer a hundred times
// slower). TestListUploadsPrefixWithNUL covers the same bounds over
// records made through the API.
func FuzzListing(f *testing.F) {
	type seed struct {
		objects, uploads          string
		parts                     []byte
		prefix, delimiter, marker string
		idMarker                  string
		idPick, maxKeys           int8
		partMarker                int
		maxParts                  int8
	}
	for _, s := range []seed{
		{objects: "a\na/b\nab\nb", uploads: "a\na\nab", prefix: "a\x00"},                        // the issue 12 wedge
		{uploads: "a", prefix: "a\x00", marker: "a"},                                            // the wedge with a marker
		{uploads: "a\na/b", prefix: "a\x00", delimiter: "/", marker: "a\x00"},                   // marker equal to the NUL prefix
		{objects: "a\nb", uploads: "a\nb", prefix: "a\xff"},                                     // 0xFF prefix
		{objects: "a\nb", uploads: "a\nb", marker: "\xff", maxKeys: 1},                          // 0xFF marker
		{objects: "a/b/c\na/d\ne", uploads: "a/b/c\na/d\ne", delimiter: "\xff", maxKeys: 1},     // 0xFF delimiter
		{objects: "x/1\nx/2\ny", uploads: "x/1\nx/1\ny", delimiter: "/", maxKeys: 1, idPick: 2}, // paging over prefixes
		{objects: "é\né/x", uploads: "é", prefix: "\xc3", delimiter: "\xa9"},                    // a prefix that splits a rune
		{uploads: "k\nk\nk", marker: "k", idPick: 3, parts: []byte{0, 1, 0, 2, 39, 15}, partMarker: 1<<32 - 1},
		{uploads: "k", parts: []byte{0, 0, 0, 5, 0, 9}, maxParts: 1, partMarker: -7},
		{objects: strings.Repeat("z", 1024), prefix: strings.Repeat("z", 2000), marker: strings.Repeat("z", 1023)},
		{objects: "a/1\nb\nc/1", parts: []byte{0x00, 0x04, 0x01}, delimiter: "/"},        // a prefix folded while the other walk waits at a marker
		{objects: "a\nb", parts: []byte{0x3f, 0x83}, marker: "a", idPick: 3, maxKeys: 2}, // markers only, a real version id marker
	} {
		f.Add(s.objects, s.uploads, s.parts, s.prefix, s.delimiter, s.marker, s.idMarker, s.idPick, s.maxKeys, s.partMarker, s.maxParts)
	}
	ws := openWedgeable(f)
	ws.raw.bolt.NoSync = true
	ctx := context.Background()
	if err := ws.CreateBucket(ctx, "acme", "fuzz", BucketOptions{}); err != nil {
		f.Fatal(err)
	}
	b, err := ws.lookupBucket("acme", "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	if err := ws.CreateBucket(ctx, "acme", "fuzzv", BucketOptions{}); err != nil {
		f.Fatal(err)
	}
	if err := ws.SetBucketVersioning(ctx, "acme", "fuzzv", VersioningEnabled); err != nil {
		f.Fatal(err)
	}
	vb, err := ws.lookupBucket("acme", "fuzzv")
	if err != nil {
		f.Fatal(err)
	}
	var lastParts []*partRecord // the previous input's parts, removed before the next

	f.Fuzz(func(t *testing.T, objects, uploads string, parts []byte, prefix, delimiter, marker, idMarker string, idPick, maxKeys int8, partMarker int, maxParts int8) {
		if ws.wedged.Load() {
			t.Skip("an earlier input wedged the store")
		}
		keys := fuzzKeys(objects, 12)
		ups := fuzzUploads(uploads, 8)
		nums := fuzzPartNumbers(parts, 8)
		var partRecs []*partRecord
		now := time.Unix(1700000000, 0).UTC()
		err := ws.idx.Update(func(tx indexTx) error {
			if err := tx.dropBucketSpace(b.ID); err != nil {
				return err
			}
			for _, p := range lastParts {
				if err := tx.deletePart(p.UploadID, p.Number); err != nil {
					return err
				}
			}
			for _, k := range keys {
				if err := tx.putObject(&objRecord{ID: "x", Tenant: "acme", Bucket: "fuzz", BucketID: b.ID, Key: k, ETag: "e", ModTime: now}); err != nil {
					return err
				}
			}
			for _, u := range ups {
				if err := tx.putUpload(b.ID, &uploadRecord{UploadID: u.id, Tenant: "acme", Bucket: "fuzz", Key: u.key, Initiated: now}); err != nil {
					return err
				}
			}
			if len(ups) > 0 {
				for _, n := range nums {
					p := &partRecord{UploadID: ups[0].id, Number: n, ETag: "e", ModTime: now}
					partRecs = append(partRecs, p)
					if err := tx.putPart(p); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		lastParts = partRecs

		checkObjects(t, ws, keys, ListOptions{Prefix: prefix, Delimiter: delimiter, After: marker, MaxKeys: int(maxKeys)})

		vers := fuzzVersions(keys, parts)
		if err := ws.idx.Update(func(tx indexTx) error { return putFuzzVersions(tx, vb.ID, vers) }); err != nil {
			t.Fatal(err)
		}
		vo := ListVersionsOptions{Prefix: prefix, Delimiter: delimiter, KeyMarker: marker, VersionIDMarker: idMarker, MaxKeys: int(maxKeys)}
		if idPick > 0 && len(vers) > 0 {
			v := vers[int(idPick)%len(vers)]
			vo.VersionIDMarker = v.id
			if idPick%2 == 0 {
				vo.KeyMarker = v.key
			}
		}
		checkVersions(t, ws, vers, vo)

		o := ListUploadsOptions{Prefix: prefix, Delimiter: delimiter, KeyMarker: marker, UploadIDMarker: idMarker, MaxUploads: int(maxKeys)}
		if idPick > 0 && len(ups) > 0 { // a real upload id as the marker, often with its key
			u := ups[int(idPick)%len(ups)]
			o.UploadIDMarker = u.id
			if idPick%2 == 0 {
				o.KeyMarker = u.key
			}
		}
		checkUploads(t, ws, ups, o)

		if len(ups) > 0 {
			checkParts(t, ws, ups[0], nums, ListPartsOptions{PartNumberMarker: partMarker, MaxParts: int(maxParts)})
		}
	})
}

// fuzzKeys splits s at newlines into distinct valid object keys, at most n.
func fuzzKeys(s string, n int) []string {
	var keys []string
	for _, k := range strings.Split(s, "\n") {
		if len(keys) < n && ValidObjectKey(k) == nil && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

type fuzzUpload struct{ key, id string }

// fuzzUploads makes an upload per valid key in s (a key may repeat), with
// ids derived from the input so that a failure replays the same order.
func fuzzUploads(s string, n int) []fuzzUpload {
	var ups []fuzzUpload
	for i, k := range strings.Split(s, "\n") {
		if len(ups) < n && ValidObjectKey(k) == nil {
			sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s", i, k))
			ups = append(ups, fuzzUpload{k, hex.EncodeToString(sum[:16])})
		}
	}
	slices.SortFunc(ups, func(a, b fuzzUpload) int { return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.id, b.id)) })
	return ups
}

// fuzzPartNumbers reads distinct part numbers 1..10000 from byte pairs.
func fuzzPartNumbers(b []byte, n int) []int {
	var nums []int
	for i := 0; i+1 < len(b) && len(nums) < n; i += 2 {
		if p := 1 + (int(b[i])<<8|int(b[i+1]))%MaxPartNumber; !slices.Contains(nums, p) {
			nums = append(nums, p)
		}
	}
	slices.Sort(nums)
	return nums
}

func objectEntries(r ListResult) string {
	keys := make([]string, 0, len(r.Objects))
	for _, o := range r.Objects {
		keys = append(keys, o.Key)
	}
	return fmt.Sprintf("objects %q prefixes %q truncated %v next %q", keys, r.CommonPrefixes, r.IsTruncated, r.NextAfter)
}

// checkObjects compares one page, then a walk over all pages, with modelList.
func checkObjects(t *testing.T, ws *wedgeableStore, keys []string, o ListOptions) {
	t.Helper()
	list := func(o ListOptions) ListResult {
		t.Helper()
		res, err := call(t, ws, fmt.Sprintf("ListObjects(%#v)", o), func(ctx context.Context) (ListResult, error) {
			return ws.ListObjects(ctx, "acme", "fuzz", o)
		})
		if err != nil {
			t.Fatalf("ListObjects(%#v): %v", o, err)
		}
		return res
	}
	if got, want := objectEntries(list(o)), objectEntries(modelList(keys, o)); got != want {
		t.Fatalf("ListObjects(%#v) over %q:\n got %s\nwant %s", o, keys, got, want)
	}
	all := o
	all.MaxKeys = 1 << 30
	want := modelList(keys, all)
	entries := len(want.Objects) + len(want.CommonPrefixes)
	var walked ListResult
	for pages := 1; ; pages++ {
		if pages > entries+1 {
			t.Fatalf("ListObjects(%#v) over %q: more than %d pages for %d entries", o, keys, entries+1, entries)
		}
		res := list(o)
		walked.Objects = append(walked.Objects, res.Objects...)
		walked.CommonPrefixes = append(walked.CommonPrefixes, res.CommonPrefixes...)
		if !res.IsTruncated {
			break
		}
		o.After = res.NextAfter
	}
	if got, want := objectEntries(walked), objectEntries(want); got != want {
		t.Fatalf("walking ListObjects(%#v) over %q:\n got %s\nwant %s", o, keys, got, want)
	}
}

// modelUploads is ListMultipartUploads over uploads sorted by (key, id):
// keys after KeyMarker, or of KeyMarker itself with an id after
// UploadIDMarker when both are given; folding as modelList does.
func modelUploads(ups []fuzzUpload, o ListUploadsOptions) ListUploadsResult {
	limit := o.MaxUploads
	if limit <= 0 {
		limit = 1000
	}
	var res ListUploadsResult
	count, lastCP := 0, ""
	for _, u := range ups {
		if !strings.HasPrefix(u.key, o.Prefix) {
			continue
		}
		if o.KeyMarker != "" {
			if o.UploadIDMarker != "" {
				if u.key < o.KeyMarker || u.key == o.KeyMarker && u.id <= o.UploadIDMarker {
					continue
				}
			} else if u.key <= o.KeyMarker {
				continue
			}
		}
		cp, isCP := "", false
		if o.Delimiter != "" {
			if i := strings.Index(u.key[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp, isCP = u.key[:len(o.Prefix)+i+len(o.Delimiter)], true
				if cp == lastCP || cp == o.KeyMarker {
					continue
				}
			}
		}
		if count == limit {
			res.IsTruncated = true
			break
		}
		count++
		if isCP {
			lastCP = cp
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
		} else {
			res.Uploads = append(res.Uploads, UploadInfo{Key: u.key, UploadID: u.id})
			res.NextKeyMarker, res.NextUploadIDMarker = u.key, u.id
		}
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return res
}

func uploadEntries(r ListUploadsResult) string {
	var ups []string
	for _, u := range r.Uploads {
		ups = append(ups, u.Key+" "+u.UploadID)
	}
	return fmt.Sprintf("uploads %q prefixes %q truncated %v next %q %q", ups, r.CommonPrefixes, r.IsTruncated, r.NextKeyMarker, r.NextUploadIDMarker)
}

// checkUploads compares one page, then a walk over all pages, with modelUploads.
func checkUploads(t *testing.T, ws *wedgeableStore, ups []fuzzUpload, o ListUploadsOptions) {
	t.Helper()
	list := func(o ListUploadsOptions) ListUploadsResult {
		t.Helper()
		res, err := call(t, ws, fmt.Sprintf("ListMultipartUploads(%#v)", o), func(ctx context.Context) (ListUploadsResult, error) {
			return ws.ListMultipartUploads(ctx, "acme", "fuzz", o)
		})
		if err != nil {
			t.Fatalf("ListMultipartUploads(%#v): %v", o, err)
		}
		return res
	}
	if got, want := uploadEntries(list(o)), uploadEntries(modelUploads(ups, o)); got != want {
		t.Fatalf("ListMultipartUploads(%#v) over %q:\n got %s\nwant %s", o, ups, got, want)
	}
	all := o
	all.MaxUploads = 1 << 30
	want := modelUploads(ups, all)
	entries := len(want.Uploads) + len(want.CommonPrefixes)
	var walked ListUploadsResult
	for pages := 1; ; pages++ {
		if pages > entries+1 {
			t.Fatalf("ListMultipartUploads(%#v) over %q: more than %d pages for %d entries", o, ups, entries+1, entries)
		}
		res := list(o)
		walked.Uploads = append(walked.Uploads, res.Uploads...)
		walked.CommonPrefixes = append(walked.CommonPrefixes, res.CommonPrefixes...)
		if !res.IsTruncated {
			break
		}
		o.KeyMarker, o.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	if got, want := uploadEntries(walked), uploadEntries(want); got != want {
		t.Fatalf("walking ListMultipartUploads(%#v) over %q:\n got %s\nwant %s", o, ups, got, want)
	}
}

// checkParts compares one page of ListParts, then a walk, with the part
// numbers after the marker.
func checkParts(t *testing.T, ws *wedgeableStore, u fuzzUpload, nums []int, o ListPartsOptions) {
	t.Helper()
	list := func(o ListPartsOptions) ListPartsResult {
		t.Helper()
		res, err := call(t, ws, fmt.Sprintf("ListParts(%#v)", o), func(ctx context.Context) (ListPartsResult, error) {
			return ws.ListParts(ctx, "acme", "fuzz", u.key, u.id, o)
		})
		if err != nil {
			t.Fatalf("ListParts(%#v): %v", o, err)
		}
		return res
	}
	model := func(o ListPartsOptions) string {
		limit := o.MaxParts
		if limit <= 0 {
			limit = 1000
		}
		var got []int
		truncated := false
		for _, n := range nums {
			if n <= o.PartNumberMarker {
				continue
			}
			if len(got) == limit {
				truncated = true
				break
			}
			got = append(got, n)
		}
		next := 0
		if len(got) > 0 {
			next = got[len(got)-1]
		}
		return fmt.Sprintf("parts %v truncated %v next %d", got, truncated, next)
	}
	entries := func(r ListPartsResult) string {
		var got []int
		for _, p := range r.Parts {
			got = append(got, p.PartNumber)
		}
		return fmt.Sprintf("parts %v truncated %v next %d", got, r.IsTruncated, r.NextPartNumberMarker)
	}
	if got, want := entries(list(o)), model(o); got != want {
		t.Fatalf("ListParts(%#v) over %v:\n got %s\nwant %s", o, nums, got, want)
	}
	all := o
	all.MaxParts = 1 << 30
	want := model(all)
	var walked []PartInfo
	for pages := 1; ; pages++ {
		if pages > len(nums)+1 {
			t.Fatalf("ListParts(%#v) over %v: more than %d pages", o, nums, len(nums)+1)
		}
		res := list(o)
		walked = append(walked, res.Parts...)
		if !res.IsTruncated {
			break
		}
		o.PartNumberMarker = res.NextPartNumberMarker
	}
	var last ListPartsResult
	last.Parts = walked
	if len(walked) > 0 {
		last.NextPartNumberMarker = walked[len(walked)-1].PartNumber
	}
	if got := entries(last); got != want {
		t.Fatalf("walking ListParts(%#v) over %v:\n got %s\nwant %s", o, nums, got, want)
	}
}

// fuzzVersion is one version of the versions model.
type fuzzVersion struct {
	key, id string // id "null" for the null version
	stamp   uint64
	marker  bool
	current bool // in objects: the newest version, not a marker
	latest  bool // the newest version of its key
}

// fuzzVersions gives key i 1..4 versions from layout byte i (none: one
// null version, as a never-versioned bucket): bits 2..5 make version j a
// delete marker, bits 6..7 pick the null one (3: none). Sorted as a
// listing is: key ascending, newest first.
func fuzzVersions(keys []string, layout []byte) []fuzzVersion {
	var out []fuzzVersion
	stamp := uint64(1700000000) << 20
	for i, k := range keys {
		c := byte(0xc0) // one null object version
		if len(layout) > 0 {
			c = layout[i%len(layout)]
		}
		n := 1 + int(c&3)
		if len(layout) == 0 {
			n = 1
		}
		null := int(c>>6) & 3
		if len(layout) == 0 {
			null = 0
		}
		var vs []fuzzVersion
		for j := range n {
			stamp += 1 + uint64(j)*7
			v := fuzzVersion{key: k, stamp: stamp, marker: len(layout) > 0 && c>>(2+j)&1 == 1}
			if j == null {
				v.id = NullVersion
			} else {
				v.id = newVersionID(stamp)
			}
			vs = append(vs, v)
		}
		slices.Reverse(vs)
		vs[0].latest = true
		vs[0].current = !vs[0].marker
		out = append(out, vs...)
	}
	return out
}

// putFuzzVersions replaces the versioned bucket's records with vers.
func putFuzzVersions(tx indexTx, bucketID string, vers []fuzzVersion) error {
	if err := tx.dropBucketSpace(bucketID); err != nil {
		return err
	}
	now := time.Unix(1700000000, 0).UTC()
	for _, v := range vers {
		r := &objRecord{ID: "x", Tenant: "acme", Bucket: "fuzzv", BucketID: bucketID, Key: v.key, ETag: "e", ModTime: now,
			Stamp: v.stamp, DeleteMarker: v.marker}
		if v.id != NullVersion {
			r.VersionID = v.id
		}
		if v.current {
			if err := tx.putObject(r); err != nil {
				return err
			}
			continue
		}
		if err := tx.putVersion(r); err != nil {
			return err
		}
		if v.id == NullVersion {
			if err := tx.putNull(bucketID, v.key, v.stamp); err != nil {
				return err
			}
		}
	}
	return nil
}

// modelVersions is ListObjectVersions over vers: entries after the
// markers (KeyMarker alone: keys above it; with a VersionIDMarker of that
// key: its current one's id continues with its noncurrent versions, a
// noncurrent null one's or any well-formed id's with the versions older
// than that stamp, anything else with the next key), folded as
// modelUploads does.
func modelVersions(vers []fuzzVersion, o ListVersionsOptions) ListVersionsResult {
	limit := o.MaxKeys
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	key, _, hasNUL := strings.Cut(o.KeyMarker, "\x00")
	inKey := func(v fuzzVersion) bool { return false } // versions of the marker key still listed
	if o.KeyMarker != "" && o.VersionIDMarker != "" && !hasNUL {
		var cur, null *fuzzVersion
		for i := range vers {
			if vers[i].key == key && vers[i].current {
				cur = &vers[i]
			}
			if vers[i].key == key && vers[i].id == NullVersion && !vers[i].current {
				null = &vers[i]
			}
		}
		id := o.VersionIDMarker
		switch st, ok := stampOfVersionID(id); {
		case cur != nil && cur.id == id:
			inKey = func(v fuzzVersion) bool { return !v.current }
		case id == NullVersion && null != nil:
			inKey = func(v fuzzVersion) bool { return !v.current && v.stamp < null.stamp }
		case ok:
			inKey = func(v fuzzVersion) bool { return !v.current && v.stamp < st }
		}
	}
	var res ListVersionsResult
	count, lastCP := 0, ""
	for _, v := range vers {
		if !strings.HasPrefix(v.key, o.Prefix) {
			continue
		}
		if o.KeyMarker != "" && !(v.key > o.KeyMarker || v.key == o.KeyMarker && inKey(v)) {
			continue
		}
		cp, isCP := "", false
		if o.Delimiter != "" {
			if i := strings.Index(v.key[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp, isCP = v.key[:len(o.Prefix)+i+len(o.Delimiter)], true
				if cp == lastCP || cp == o.KeyMarker {
					continue
				}
			}
		}
		if count == limit {
			res.IsTruncated = true
			break
		}
		count++
		if isCP {
			lastCP = cp
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			res.NextKeyMarker, res.NextVersionIDMarker = cp, ""
			continue
		}
		res.Versions = append(res.Versions, ObjectInfo{Key: v.key, VersionID: v.id, DeleteMarker: v.marker, IsLatest: v.latest})
		res.NextKeyMarker, res.NextVersionIDMarker = v.key, v.id
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextVersionIDMarker = "", ""
	}
	return res
}

func versionEntries(r ListVersionsResult) string {
	var vs []string
	for _, v := range r.Versions {
		vs = append(vs, fmt.Sprintf("%s@%s latest=%v marker=%v", v.Key, v.VersionID, v.IsLatest, v.DeleteMarker))
	}
	return fmt.Sprintf("versions %q prefixes %q truncated %v next %q %q", vs, r.CommonPrefixes, r.IsTruncated, r.NextKeyMarker, r.NextVersionIDMarker)
}

// checkVersions compares one page, then a walk over all pages, with modelVersions.
func checkVersions(t *testing.T, ws *wedgeableStore, vers []fuzzVersion, o ListVersionsOptions) {
	t.Helper()
	list := func(o ListVersionsOptions) ListVersionsResult {
		t.Helper()
		res, err := call(t, ws, fmt.Sprintf("ListObjectVersions(%#v)", o), func(ctx context.Context) (ListVersionsResult, error) {
			return ws.ListObjectVersions(ctx, "acme", "fuzzv", o)
		})
		if err != nil {
			t.Fatalf("ListObjectVersions(%#v): %v", o, err)
		}
		return res
	}
	if got, want := versionEntries(list(o)), versionEntries(modelVersions(vers, o)); got != want {
		t.Fatalf("ListObjectVersions(%#v) over %v:\n got %s\nwant %s", o, vers, got, want)
	}
	all := o
	all.MaxKeys = 1000
	want := modelVersions(vers, all)
	entries := len(want.Versions) + len(want.CommonPrefixes)
	var walked ListVersionsResult
	for pages := 1; ; pages++ {
		if pages > entries+1 {
			t.Fatalf("ListObjectVersions(%#v) over %v: more than %d pages for %d entries", o, vers, entries+1, entries)
		}
		res := list(o)
		walked.Versions = append(walked.Versions, res.Versions...)
		walked.CommonPrefixes = append(walked.CommonPrefixes, res.CommonPrefixes...)
		if !res.IsTruncated {
			break
		}
		o.KeyMarker, o.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
	if got, want := versionEntries(walked), versionEntries(want); got != want {
		t.Fatalf("walking ListObjectVersions(%#v) over %v:\n got %s\nwant %s", o, vers, got, want)
	}
}
