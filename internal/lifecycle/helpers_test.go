package lifecycle

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/cofferstore/coffer/internal/storetest"
	rules "github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// openStore opens a 4-drive store in a temporary directory.
func openStore(t *testing.T) *storage.Store { return storetest.Open(t) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mkTenant(t *testing.T, st *storage.Store, name string) {
	t.Helper()
	must(t, st.CreateTenant(context.Background(), name, storage.Quota{}))
}

func mkBucket(t *testing.T, st *storage.Store, tenant, bucket, versioning string, lock bool) {
	t.Helper()
	ctx := context.Background()
	must(t, st.CreateBucket(ctx, tenant, bucket, storage.BucketOptions{ObjectLock: lock}))
	if versioning != "" && !lock {
		must(t, st.SetBucketVersioning(ctx, tenant, bucket, versioning))
	}
}

// setRules stores a lifecycle configuration as the S3 layer does.
func setRules(t *testing.T, st *storage.Store, tenant, bucket, rulesXML string) {
	t.Helper()
	cfg, err := rules.ParseBytes([]byte("<LifecycleConfiguration>" + rulesXML + "</LifecycleConfiguration>"))
	must(t, err)
	doc, err := rules.Marshal(cfg)
	must(t, err)
	must(t, st.SetBucketConfig(context.Background(), tenant, bucket, storage.ConfigLifecycle, doc))
}

func putObj(t *testing.T, st *storage.Store, tenant, bucket, key string, size int, opts storage.PutOptions) storage.ObjectInfo {
	t.Helper()
	opts.Size = int64(size)
	info, err := st.PutObject(context.Background(), tenant, bucket, key, bytes.NewReader(bytes.Repeat([]byte{'x'}, size)), opts)
	must(t, err)
	return info
}

// versionsOf lists every version of a bucket as "key version-kind size"
// lines (version ids are left out so two stores compare equal).
func versionsOf(t *testing.T, st *storage.Store, tenant, bucket string) []storage.ObjectInfo {
	t.Helper()
	var out []storage.ObjectInfo
	opts := storage.ListVersionsOptions{MaxKeys: 1000}
	for {
		page, err := st.ListObjectVersions(context.Background(), tenant, bucket, opts)
		must(t, err)
		out = append(out, page.Versions...)
		if !page.IsTruncated {
			return out
		}
		opts.KeyMarker, opts.VersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
	}
}

// shape is a bucket's versions without ids: "key:size" or "key:marker",
// newest first per key, "*" marking the current version.
func shape(t *testing.T, st *storage.Store, tenant, bucket string) []string {
	var out []string
	for _, v := range versionsOf(t, st, tenant, bucket) {
		s := fmt.Sprintf("%s:%d", v.Key, v.Size)
		if v.DeleteMarker {
			s = v.Key + ":marker"
		}
		if v.IsLatest {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

// checkUsage compares the tenant's usage counters with a recount of its
// versions and uploads.
func checkUsage(t *testing.T, st *storage.Store, tenant string) {
	t.Helper()
	ctx := context.Background()
	var want storage.Usage
	buckets, err := st.ListBuckets(ctx, tenant)
	must(t, err)
	for _, b := range buckets {
		for _, v := range versionsOf(t, st, tenant, b.Name) {
			want.Objects++
			want.Bytes += v.Size
			if !v.IsLatest || v.DeleteMarker {
				want.NoncurrentObjects++
				want.NoncurrentBytes += v.Size
			}
		}
		ups, err := st.ListMultipartUploads(ctx, tenant, b.Name, storage.ListUploadsOptions{MaxUploads: 1000})
		must(t, err)
		for _, u := range ups.Uploads {
			want.Uploads++
			parts, err := st.ListParts(ctx, tenant, b.Name, u.Key, u.UploadID, storage.ListPartsOptions{MaxParts: 1000})
			must(t, err)
			for _, p := range parts.Parts {
				want.UploadBytes += p.Size
				want.Bytes += p.Size
			}
		}
	}
	got, err := st.TenantUsage(ctx, tenant)
	must(t, err)
	if got.Objects != want.Objects || got.Bytes != want.Bytes || got.NoncurrentObjects != want.NoncurrentObjects ||
		got.NoncurrentBytes != want.NoncurrentBytes || got.Uploads != want.Uploads || got.UploadBytes != want.UploadBytes {
		t.Fatalf("tenant %s usage %+v, recount %+v", tenant, got, want)
	}
}

func uploadsOf(t *testing.T, st *storage.Store, tenant, bucket string) []string {
	t.Helper()
	ups, err := st.ListMultipartUploads(context.Background(), tenant, bucket, storage.ListUploadsOptions{MaxUploads: 1000})
	must(t, err)
	var out []string
	for _, u := range ups.Uploads {
		out = append(out, u.Key)
	}
	return out
}
