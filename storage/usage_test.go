package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"
)

// recountedUsage is usage counted from the records themselves.
type recountedUsage struct {
	tenants map[string]usageDelta // Bytes: object bytes; UploadBytes; Objects; Uploads
	buckets map[string]usageDelta // by tenant/bucket: Objects, Bytes
}

// recountRecords counts every tenant's and bucket's usage from the object, upload
// and part records, independently of the stored counters.
func recountRecords(t *testing.T, s *Store) recountedUsage {
	t.Helper()
	out := recountedUsage{tenants: map[string]usageDelta{}, buckets: map[string]usageDelta{}}
	err := s.idx.View(func(tx indexTx) error {
		ts, err := tx.tenants()
		if err != nil {
			return err
		}
		for _, tr := range ts {
			var tu usageDelta
			bs, err := tx.buckets(tr.Name)
			if err != nil {
				return err
			}
			for _, b := range bs {
				var bu usageDelta
				if err := tx.eachObject(b.ID, "", func(r *objRecord) bool { bu.Objects++; bu.Bytes += r.Size; return true }); err != nil {
					return err
				}
				err := tx.eachVersion(b.ID, nil, func(r *objRecord) bool {
					bu.Objects++
					bu.Bytes += r.Size
					bu.NoncurrentObjects++
					bu.NoncurrentBytes += r.Size
					return true
				})
				if err != nil {
					return err
				}
				if err := checkVersionInvariants(tx, b.ID); err != nil {
					return fmt.Errorf("bucket %s/%s: %w", tr.Name, b.Name, err)
				}
				var ups []*uploadRecord
				if err := tx.eachUpload(b.ID, func(u *uploadRecord) bool { ups = append(ups, u); return true }); err != nil {
					return err
				}
				for _, u := range ups {
					tu.Uploads++
					if err := tx.parts(u.UploadID, 0, func(p *partRecord) bool { tu.UploadBytes += p.Size; return true }); err != nil {
						return err
					}
				}
				out.buckets[tr.Name+"/"+b.Name] = bu
				tu.Objects += bu.Objects
				tu.Bytes += bu.Bytes
				tu.NoncurrentObjects += bu.NoncurrentObjects
				tu.NoncurrentBytes += bu.NoncurrentBytes
			}
			out.tenants[tr.Name] = tu
		}
		trash, err := tx.trash()
		if len(trash) > 0 {
			return fmt.Errorf("%d buckets left in the trash", len(trash))
		}
		return err
	})
	if err != nil {
		t.Fatalf("recount: %v", err)
	}
	return out
}

// checkStoredUsage fails unless every stored tenant and bucket counter equals
// the recount.
func checkStoredUsage(t *testing.T, s *Store, step int, op string) {
	t.Helper()
	want := recountRecords(t, s)
	err := s.idx.View(func(tx indexTx) error {
		ts, err := tx.tenants()
		if err != nil {
			return err
		}
		if len(ts) != len(want.tenants) {
			return fmt.Errorf("%d tenants, recount has %d", len(ts), len(want.tenants))
		}
		for _, tr := range ts {
			w := want.tenants[tr.Name]
			got := usageDelta{Objects: tr.Objects, Bytes: tr.Bytes - tr.UploadBytes, UploadBytes: tr.UploadBytes, Uploads: tr.Uploads,
				NoncurrentObjects: tr.NoncurrentObjects, NoncurrentBytes: tr.NoncurrentBytes}
			if got != w {
				return fmt.Errorf("tenant %s: stored %+v (bytes %d), recount %+v", tr.Name, got, tr.Bytes, w)
			}
			bs, err := tx.buckets(tr.Name)
			if err != nil {
				return err
			}
			for _, b := range bs {
				w := want.buckets[tr.Name+"/"+b.Name]
				if b.Objects != w.Objects || b.Bytes != w.Bytes || b.NoncurrentObjects != w.NoncurrentObjects || b.NoncurrentBytes != w.NoncurrentBytes {
					return fmt.Errorf("bucket %s/%s: stored %d objects %d bytes (noncurrent %d, %d), recount %+v", tr.Name, b.Name,
						b.Objects, b.Bytes, b.NoncurrentObjects, b.NoncurrentBytes, w)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("step %d (%s): %v", step, op, err)
	}
}

// checkVersionInvariants checks the versions layout of a bucket: a key
// without a current version has a delete marker as its newest version,
// every current version is newer than the key's versions, each key has at
// most one null version, and the null pointers name exactly the null
// versions in versions.
func checkVersionInvariants(tx indexTx, bucketID string) error {
	type keyState struct {
		newest *objRecord
		nulls  int
	}
	keys := map[string]*keyState{}
	var order []string
	err := tx.eachVersion(bucketID, nil, func(r *objRecord) bool {
		k := keys[r.Key]
		if k == nil {
			k = &keyState{newest: r}
			keys[r.Key] = k
			order = append(order, r.Key)
		}
		if r.VersionID == "" {
			k.nulls++
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, key := range order {
		k := keys[key]
		cur, err := tx.object(bucketID, key)
		if err != nil {
			return err
		}
		switch {
		case cur == nil && !k.newest.DeleteMarker:
			return fmt.Errorf("key %q: no current version and its newest version is not a delete marker", key)
		case cur != nil && cur.Stamp <= k.newest.Stamp && cur.Stamp != 0:
			return fmt.Errorf("key %q: current stamp %d not above noncurrent %d", key, cur.Stamp, k.newest.Stamp)
		case k.nulls > 1 || k.nulls == 1 && cur != nil && cur.VersionID == "":
			return fmt.Errorf("key %q: more than one null version", key)
		}
		st, ok, err := tx.nullStamp(bucketID, key)
		if err != nil {
			return err
		}
		if ok != (k.nulls == 1) {
			return fmt.Errorf("key %q: null pointer %v, %d noncurrent null versions", key, ok, k.nulls)
		}
		if ok {
			if v, err := tx.version(bucketID, key, st); err != nil || v == nil || v.VersionID != "" {
				return fmt.Errorf("key %q: null pointer to %v (%v)", key, v, err)
			}
		}
	}
	return nil
}

// TestUsageMatchesRecount runs seeded random sequences of every operation
// that changes usage (puts packed, inline-in-file and streamed, overwrites,
// deletes, multipart create/part/retried part/complete/abort, copies,
// forced bucket deletes, tenant deletes; some failing on quota; versioning
// enabled and suspended, delete markers, deletes by version id and of the
// null version, copies of old versions) and checks after each that the
// stored counters, noncurrent ones included, equal a recount from the
// records, and that the versions layout holds its invariants.
func TestUsageMatchesRecount(t *testing.T) {
	steps := testSize(150, 250, 1000)
	for _, seed := range []int64{1, 2} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ts := newTestStore(t, 4)
			u := &usageRun{t: t, s: ts.Store, rng: rand.New(rand.NewSource(seed)), ctx: context.Background(), kinds: map[string]int{}}
			u.setup()
			for i := 0; i < steps; i++ {
				op := u.step()
				checkStoredUsage(t, ts.Store, i, op)
			}
			if u.ok < steps/3 {
				t.Fatalf("only %d of %d operations succeeded: the sequence tests little", u.ok, steps)
			}
			for _, kind := range []string{"put", "delete", "copy", "create", "part", "complete", "abort", "force", "quota", "versioning", "unversion", "copy-version"} {
				if u.kinds[kind] == 0 {
					t.Errorf("no %q in the sequence (%v)", kind, u.kinds)
				}
			}
		})
	}
}

type usageRun struct {
	t   *testing.T
	s   *Store
	rng *rand.Rand
	ctx context.Context
	ok  int
	// kinds counts succeeded operations by their first word, and
	// quota refusals as "quota"
	kinds map[string]int
	// uploads started and not yet finished: tenant, bucket, key, id
	uploads [][4]string
}

var (
	usageTenants = []string{"acme", "beta"}
	usageBuckets = []string{"bk1", "bk2"}
	usageKeys    = []string{"k1", "k2", "k3", "dir/k4"}
)

func (u *usageRun) setup() {
	// acme (made by newTestStore) gets a quota some writes run into.
	if err := u.s.SetQuota(u.ctx, "acme", Quota{MaxBytes: 4 << 20, MaxObjects: 3, MaxUploads: 2}); err != nil {
		u.t.Fatal(err)
	}
	u.ensure("beta", "bk1")
}

// ensure creates tenant and bucket if missing.
func (u *usageRun) ensure(tenant, bucket string) {
	if err := u.s.CreateTenant(u.ctx, tenant, Quota{}); err != nil && !errors.Is(err, ErrTenantExists) {
		u.t.Fatal(err)
	}
	if err := u.s.CreateBucket(u.ctx, tenant, bucket, BucketOptions{}); err != nil && !errors.Is(err, ErrBucketExists) {
		u.t.Fatal(err)
	}
}

// size picks a body size: empty, packed small, inline large, or streamed.
func (u *usageRun) size() int {
	switch u.rng.Intn(8) {
	case 0:
		return 0
	case 1, 2, 3:
		return 1 + u.rng.Intn(4<<10)
	case 4, 5:
		return 64<<10 + u.rng.Intn(100<<10)
	default:
		return 200<<10 + u.rng.Intn(3<<20)
	}
}

func (u *usageRun) pick(xs []string) string { return xs[u.rng.Intn(len(xs))] }

// usageErrAllowed reports errors a random operation may meet.
func usageErrAllowed(err error) bool {
	var qe *QuotaError
	return err == nil || errors.As(err, &qe) || errors.Is(err, ErrBucketNotFound) || errors.Is(err, ErrTenantNotFound) ||
		errors.Is(err, ErrObjectNotFound) || errors.Is(err, ErrUploadNotFound) || errors.Is(err, ErrInvalidPart) ||
		errors.Is(err, ErrEntityTooSmall)
}

func (u *usageRun) step() string {
	tenant, bucket, key := u.pick(usageTenants), u.pick(usageBuckets), u.pick(usageKeys)
	if u.rng.Intn(4) == 0 {
		u.ensure(tenant, bucket)
	}
	var op string
	var err error
	n := u.rng.Intn(48)
	if n >= 22 && n < 35 && len(u.uploads) == 0 {
		n = 18 // create an upload first
	}
	switch {
	case n < 12:
		size := u.size()
		op = fmt.Sprintf("put %s/%s/%s %d", tenant, bucket, key, size)
		_, err = u.s.PutObject(u.ctx, tenant, bucket, key, bytes.NewReader(randBytes(uint64(u.rng.Int63()), size)), PutOptions{Size: int64(size)})
	case n < 16:
		op = fmt.Sprintf("delete %s/%s/%s", tenant, bucket, key)
		err = errOf(u.s.DeleteObject(u.ctx, tenant, bucket, key, DeleteOptions{}))
	case n < 18:
		dst := u.pick(usageKeys)
		op = fmt.Sprintf("copy %s/%s/%s -> %s", tenant, bucket, key, dst)
		err = u.copy(tenant, bucket, key, dst)
	case n < 22:
		op = fmt.Sprintf("create upload %s/%s/%s", tenant, bucket, key)
		var id string
		id, err = u.s.CreateMultipartUpload(u.ctx, tenant, bucket, key, PutOptions{})
		if err == nil {
			u.uploads = append(u.uploads, [4]string{tenant, bucket, key, id})
		}
	case n < 29:
		up := u.uploads[u.rng.Intn(len(u.uploads))]
		num, size := 1+u.rng.Intn(3), u.size()
		if u.rng.Intn(4) == 0 {
			size = MinPartSize
		}
		op = fmt.Sprintf("part %d of %s %d bytes", num, up[3], size)
		_, err = u.s.PutPart(u.ctx, up[0], up[1], up[2], up[3], num, bytes.NewReader(randBytes(uint64(u.rng.Int63()), size)), PutOptions{Size: int64(size)})
	case n < 33:
		i := u.rng.Intn(len(u.uploads))
		up := u.uploads[i]
		op = "complete " + up[3]
		err = u.complete(up)
		if err == nil {
			u.uploads = append(u.uploads[:i], u.uploads[i+1:]...)
		}
	case n < 35:
		i := u.rng.Intn(len(u.uploads))
		up := u.uploads[i]
		op = "abort " + up[3]
		err = u.s.AbortMultipartUpload(u.ctx, up[0], up[1], up[2], up[3])
		u.uploads = append(u.uploads[:i], u.uploads[i+1:]...)
	case n < 36:
		op = fmt.Sprintf("force delete bucket %s/%s", tenant, bucket)
		err = u.s.DeleteBucket(u.ctx, tenant, bucket, true)
	case n < 38:
		state := u.pick([]string{VersioningEnabled, VersioningEnabled, VersioningSuspended})
		op = fmt.Sprintf("versioning %s/%s %s", tenant, bucket, state)
		err = u.s.SetBucketVersioning(u.ctx, tenant, bucket, state)
	case n < 44:
		var id string
		if id, err = u.someVersion(tenant, bucket); err == nil && id != "" {
			op = fmt.Sprintf("unversion %s/%s %s", tenant, bucket, id)
			k, v, _ := strings.Cut(id, "@")
			err = errOf(u.s.DeleteObject(u.ctx, tenant, bucket, k, DeleteOptions{VersionID: v}))
		} else {
			op = fmt.Sprintf("unversion %s/%s/%s null", tenant, bucket, key)
			err = errOf(u.s.DeleteObject(u.ctx, tenant, bucket, key, DeleteOptions{VersionID: NullVersion}))
		}
	case n < 46:
		var id string
		if id, err = u.someVersion(tenant, bucket); err == nil && id != "" {
			op = fmt.Sprintf("copy-version %s/%s %s", tenant, bucket, id)
			k, v, _ := strings.Cut(id, "@")
			err = u.copyVersion(tenant, bucket, k, v, u.pick(usageKeys))
			if errors.Is(err, ErrDeleteMarker) {
				err = nil
			}
		} else {
			op = "nothing"
		}
	default:
		if u.rng.Intn(3) != 0 {
			return "nothing"
		}
		op = "delete tenant " + tenant
		err = u.s.DeleteTenant(u.ctx, tenant)
		if err == nil && tenant == "acme" {
			u.setupAcme()
		}
	}
	if !usageErrAllowed(err) {
		u.t.Fatalf("%s: %v", op, err)
	}
	var qe *QuotaError
	if errors.As(err, &qe) {
		u.kinds["quota"]++
	}
	if err == nil {
		u.ok++
		u.kinds[strings.Fields(op)[0]]++
	}
	return op
}

// setupAcme recreates acme with its quota after a tenant delete.
func (u *usageRun) setupAcme() {
	u.ensure("acme", "bk1")
	if err := u.s.SetQuota(u.ctx, "acme", Quota{MaxBytes: 4 << 20, MaxObjects: 3, MaxUploads: 2}); err != nil {
		u.t.Fatal(err)
	}
}

// someVersion picks a random version ("key@id") of the bucket; "" when
// it has none.
func (u *usageRun) someVersion(tenant, bucket string) (string, error) {
	res, err := u.s.ListObjectVersions(u.ctx, tenant, bucket, ListVersionsOptions{})
	if err != nil || len(res.Versions) == 0 {
		return "", err
	}
	v := res.Versions[u.rng.Intn(len(res.Versions))]
	return v.Key + "@" + v.VersionID, nil
}

// copy copies an object the way the S3 layer does: read one, put another.
func (u *usageRun) copy(tenant, bucket, src, dst string) error {
	return u.copyVersion(tenant, bucket, src, "", dst)
}

// copyVersion copies one version of src ("" the current one) to dst.
func (u *usageRun) copyVersion(tenant, bucket, src, id, dst string) error {
	r, err := u.s.OpenObjectVersion(u.ctx, tenant, bucket, src, id)
	if err != nil {
		return err
	}
	defer r.Close()
	rc, err := r.Range(u.ctx, 0, r.Info().Size)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = u.s.PutObject(u.ctx, tenant, bucket, dst, io.Reader(rc), PutOptions{Size: r.Info().Size})
	return err
}

// complete lists the upload's parts (all of them, or only the last, so
// unlisted parts are dropped) and completes it.
func (u *usageRun) complete(up [4]string) error {
	lp, err := u.s.ListParts(u.ctx, up[0], up[1], up[2], up[3], ListPartsOptions{})
	if err != nil {
		return err
	}
	if len(lp.Parts) == 0 {
		return nil
	}
	var cps []CompletePart
	for _, p := range lp.Parts {
		cps = append(cps, CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	if u.rng.Intn(2) == 0 {
		cps = cps[len(cps)-1:]
	}
	_, err = u.s.CompleteMultipartUpload(u.ctx, up[0], up[1], up[2], up[3], cps)
	return err
}
