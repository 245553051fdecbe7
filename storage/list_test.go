package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// modelList is the obvious in-memory listing the index must agree with.
func modelList(keys []string, o ListOptions) ListResult {
	limit := o.MaxKeys
	if limit <= 0 {
		limit = defaultMaxKeys
	}
	var res ListResult
	count := 0
	lastCP := ""
	start := sort.SearchStrings(keys, max(o.After, o.Prefix))
	for _, k := range keys[start:] {
		if k <= o.After {
			continue
		}
		if !strings.HasPrefix(k, o.Prefix) {
			break
		}
		entry, isCP := k, false
		if o.Delimiter != "" {
			if i := strings.Index(k[len(o.Prefix):], o.Delimiter); i >= 0 {
				entry, isCP = k[:len(o.Prefix)+i+len(o.Delimiter)], true
				if entry == lastCP || entry == o.After {
					continue
				}
			}
		}
		if count == limit {
			res.IsTruncated = true
			break
		}
		count++
		res.NextAfter = entry
		if isCP {
			lastCP = entry
			res.CommonPrefixes = append(res.CommonPrefixes, entry)
		} else {
			res.Objects = append(res.Objects, ObjectInfo{Key: k})
		}
	}
	if !res.IsTruncated {
		res.NextAfter = ""
	}
	return res
}

// loadKeys writes object records straight into the index in batches.
func loadKeys(t testing.TB, s *Store, bucket string, keys []string) {
	t.Helper()
	b, err := s.lookupBucket("acme", bucket)
	if err != nil {
		t.Fatal(err)
	}
	per := 20000
	if s.cfg.Index != nil {
		per = 1000 // etcd bounds a transaction's size (1.5 MiB by default)
	}
	for i := 0; i < len(keys); i += per {
		chunk := keys[i:min(i+per, len(keys))]
		err := s.idx.Update(func(tx indexTx) error {
			for _, k := range chunk {
				raw, _ := json.Marshal(&objRecord{ID: "x", Tenant: "acme", Bucket: bucket, BucketID: b.ID, Key: k, Size: 1, ETag: "e"})
				if err := tx.(*kvTx).putObjectRaw(b.ID, k, raw); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func genKeys(r *rand.Rand, n int) []string {
	parts := []string{"a", "b", "photos", "2024", "x-y", "é", "z", "docs", "a.b"}
	seen := map[string]bool{}
	var keys []string
	for len(keys) < n {
		var sb strings.Builder
		depth := 1 + r.IntN(4)
		for d := 0; d < depth; d++ {
			if d > 0 {
				sb.WriteString([]string{"/", "/", "-", "."}[r.IntN(4)])
			}
			sb.WriteString(parts[r.IntN(len(parts))])
			if r.IntN(2) == 0 {
				fmt.Fprintf(&sb, "%d", r.IntN(300))
			}
		}
		k := sb.String()
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func TestListMatchesModel(t *testing.T) {
	n, queries := 100_000, 400
	if testing.Short() || testIndex != nil { // etcd: a page read per seek
		n, queries = 5_000, 200
	}
	if os.Getenv("COFFER_LONG") != "" {
		queries = 5000
	}
	ts := newTestStore(t, 2)
	r := rand.New(rand.NewPCG(42, 7))
	keys := genKeys(r, n)
	start := time.Now()
	loadKeys(t, ts.Store, "bkt", keys)
	t.Logf("loaded %d keys in %v", n, time.Since(start))
	prefixes := []string{"", "a", "a/", "photos", "photos1/", "2024/", "é", "zz", "docs/a", "b1"}
	delims := []string{"", "/", "-", ".", "os"}
	ctx := context.Background()
	for q := 0; q < queries; q++ {
		o := ListOptions{Prefix: prefixes[r.IntN(len(prefixes))], Delimiter: delims[r.IntN(len(delims))], MaxKeys: []int{1, 2, 10, 1000, 0}[r.IntN(5)]}
		if r.IntN(2) == 0 {
			o.After = keys[r.IntN(len(keys))]
			if r.IntN(3) == 0 {
				o.After = o.After[:r.IntN(len(o.After)+1)]
			}
		}
		// Follow the pages to the end (bounded) and compare each.
		for page := 0; page < 5; page++ {
			got, err := ts.ListObjects(ctx, "acme", "bkt", o)
			if err != nil {
				t.Fatal(err)
			}
			want := modelList(keys, o)
			gk := make([]string, len(got.Objects))
			for i, ob := range got.Objects {
				gk[i] = ob.Key
			}
			wk := make([]string, len(want.Objects))
			for i, ob := range want.Objects {
				wk[i] = ob.Key
			}
			if !slices.Equal(gk, wk) || !slices.Equal(got.CommonPrefixes, want.CommonPrefixes) || got.IsTruncated != want.IsTruncated || got.NextAfter != want.NextAfter {
				t.Fatalf("query %+v:\n got keys %q cps %q trunc %v next %q\nwant keys %q cps %q trunc %v next %q",
					o, gk, got.CommonPrefixes, got.IsTruncated, got.NextAfter, wk, want.CommonPrefixes, want.IsTruncated, want.NextAfter)
			}
			if !got.IsTruncated {
				break
			}
			o.After = got.NextAfter
		}
	}
}

func TestListRealObjects(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	for _, k := range []string{"a/1", "a/2", "b", "c/d/e", "c/x"} {
		ts.put(k, []byte(k))
	}
	res, err := ts.ListObjects(ctx, "acme", "bkt", ListOptions{Delimiter: "/"})
	if err != nil || len(res.Objects) != 1 || res.Objects[0].Key != "b" || res.Objects[0].ETag != md5hex([]byte("b")) ||
		!slices.Equal(res.CommonPrefixes, []string{"a/", "c/"}) || res.IsTruncated {
		t.Fatalf("list = %+v, %v", res, err)
	}
	res, _ = ts.ListObjects(ctx, "acme", "bkt", ListOptions{Prefix: "c/", MaxKeys: 1})
	if len(res.Objects) != 1 || res.Objects[0].Key != "c/d/e" || !res.IsTruncated || res.NextAfter != "c/d/e" {
		t.Fatalf("page = %+v", res)
	}
	if _, err := ts.ListObjects(ctx, "acme", "nope", ListOptions{}); err == nil {
		t.Fatal("listing a missing bucket succeeded")
	}
}
