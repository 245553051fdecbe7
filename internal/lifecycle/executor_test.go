package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/testutil"
	"github.com/cofferstore/coffer/storage"
)

const verRules = `
<Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>10</Days></Expiration></Rule>
<Rule><ID>nc-doc</ID><Filter><Prefix>doc</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>
<Rule><ID>nc-tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration></Rule>
<Rule><ID>markers</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>
<Rule><ID>up</ID><Filter><Prefix>up/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`

// TestYearOfPasses runs 365 daily passes with an injected clock over a
// never-versioned, a versioned and an Object Lock bucket and two tenants
// (default abort on and off), checking when each action happens, the final
// state, locked versions kept and usage equal to a recount.
func TestYearOfPasses(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	clock := testutil.NewClock(time.Now())
	mkTenant(t, st, "acme")
	mkTenant(t, st, "beta")
	must(t, st.SetTenantConfig(ctx, "beta", storage.ConfigLifecycle, FormatTenantDefault(0)))

	mkBucket(t, st, "acme", "plain", "", false)
	setRules(t, st, "acme", "plain", `<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>`)
	putObj(t, st, "acme", "plain", "logs/a", 100, storage.PutOptions{})
	putObj(t, st, "acme", "plain", "logs/b", 200, storage.PutOptions{})
	putObj(t, st, "acme", "plain", "keep/c", 50, storage.PutOptions{})
	big, err := st.CreateMultipartUpload(ctx, "acme", "plain", "big", storage.PutOptions{Size: -1})
	must(t, err)
	_, err = st.PutPart(ctx, "acme", "plain", "big", big, 1, bytes.NewReader([]byte("12345")), storage.PutOptions{Size: 5})
	must(t, err)

	mkBucket(t, st, "acme", "ver", storage.VersioningEnabled, false)
	setRules(t, st, "acme", "ver", verRules)
	for i := range 4 {
		putObj(t, st, "acme", "ver", "doc", 10+i, storage.PutOptions{})
	}
	putObj(t, st, "acme", "ver", "tmp/x", 40, storage.PutOptions{})
	putObj(t, st, "acme", "ver", "gone", 7, storage.PutOptions{})
	_, err = st.DeleteObject(ctx, "acme", "ver", "gone", storage.DeleteOptions{})
	must(t, err)
	om := putObj(t, st, "acme", "ver", "old-marker", 9, storage.PutOptions{})
	_, err = st.DeleteObject(ctx, "acme", "ver", "old-marker", storage.DeleteOptions{})
	must(t, err)
	_, err = st.DeleteObject(ctx, "acme", "ver", "old-marker", storage.DeleteOptions{VersionID: om.VersionID})
	must(t, err)
	for _, k := range []string{"up/1", "other"} {
		_, err := st.CreateMultipartUpload(ctx, "acme", "ver", k, storage.PutOptions{Size: -1})
		must(t, err)
	}

	mkBucket(t, st, "acme", "locked", "", true)
	setRules(t, st, "acme", "locked", `<Rule><ID>all</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>`)
	putObj(t, st, "acme", "locked", "held", 3, storage.PutOptions{LegalHold: true})
	putObj(t, st, "acme", "locked", "held", 4, storage.PutOptions{})

	mkBucket(t, st, "beta", "bbb", "", false)
	mkBucket(t, st, "beta", "ccc", "", false)
	setRules(t, st, "beta", "ccc", `<Rule><ID>up</ID><Filter><Prefix>up/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`)
	for _, u := range [][2]string{{"bbb", "u"}, {"ccc", "up/a"}, {"ccc", "z"}} {
		_, err := st.CreateMultipartUpload(ctx, "beta", u[0], u[1], storage.PutOptions{Size: -1})
		must(t, err)
	}

	e := New(Config{Store: st, Now: clock.Now, StateFile: filepath.Join(t.TempDir(), "lifecycle.state"), PageSize: 2})
	want := func(day int, tenant, bucket string, shapeWant []string) {
		t.Helper()
		if got := shape(t, st, tenant, bucket); !slices.Equal(got, shapeWant) {
			t.Fatalf("day %d %s/%s: %q, want %q", day, tenant, bucket, got, shapeWant)
		}
	}
	wantUploads := func(day int, tenant, bucket string, keys ...string) {
		t.Helper()
		if got := uploadsOf(t, st, tenant, bucket); !slices.Equal(got, keys) {
			t.Fatalf("day %d %s/%s uploads %q, want %q", day, tenant, bucket, got, keys)
		}
	}
	for day := 1; day <= 365; day++ {
		clock.Advance(24 * time.Hour)
		res, err := e.RunPass(ctx, "")
		if err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		if res.Resumed {
			t.Fatalf("day %d: an uninterrupted pass left a cursor", day)
		}
		switch day {
		case 1:
			want(day, "acme", "ver", []string{"doc:13*", "doc:12", "doc:11", "doc:10", "gone:marker*", "gone:7", "tmp/x:40*"})
			want(day, "acme", "locked", []string{"held:4*", "held:3"})
			wantUploads(day, "acme", "ver", "other", "up/1")
		case 3:
			wantUploads(day, "acme", "ver", "other")
			wantUploads(day, "beta", "ccc", "z")
			want(day, "acme", "locked", []string{"held:marker*", "held:3"})
		case 6:
			want(day, "acme", "ver", []string{"doc:13*", "doc:12", "gone:marker*", "gone:7", "tmp/x:40*"})
			wantUploads(day, "acme", "plain", "big")
		case 8:
			wantUploads(day, "acme", "plain")
			wantUploads(day, "acme", "ver")
		case 10:
			want(day, "acme", "ver", []string{"doc:13*", "doc:12", "gone:marker*", "gone:7", "tmp/x:40*"})
		case 11:
			want(day, "acme", "ver", []string{"doc:13*", "doc:12", "gone:marker*", "gone:7", "tmp/x:marker*", "tmp/x:40"})
		case 13:
			want(day, "acme", "ver", []string{"doc:13*", "doc:12", "gone:marker*", "gone:7"})
		case 30:
			want(day, "acme", "plain", []string{"keep/c:50*", "logs/a:100*", "logs/b:200*"})
		case 31:
			want(day, "acme", "plain", []string{"keep/c:50*"})
		}
		if day%73 == 0 {
			checkUsage(t, st, "acme")
			checkUsage(t, st, "beta")
		}
	}
	want(365, "acme", "plain", []string{"keep/c:50*"})
	want(365, "acme", "ver", []string{"doc:13*", "doc:12", "gone:marker*", "gone:7"})
	want(365, "acme", "locked", []string{"held:marker*", "held:3"})
	wantUploads(365, "beta", "bbb", "u")
	wantUploads(365, "beta", "ccc", "z")
	checkUsage(t, st, "acme")
	checkUsage(t, st, "beta")

	tot := map[string]Stats{}
	for _, tt := range e.Totals() {
		tot[tt.Tenant] = tt.Stats
		if !tt.LastPass.Equal(clock.Now()) {
			t.Errorf("%s last pass %v, want %v", tt.Tenant, tt.LastPass, clock.Now())
		}
	}
	// acme: old-marker, 2 doc versions, tmp/x (marker, version, marker),
	// logs/a, logs/b, held (marker, v2) = 10; bytes 10+11+40+100+200+4.
	a := tot["acme"]
	if a.ObjectsExpired != 10 || a.BytesExpired != 365 || a.UploadsAborted != 3 || a.Errors != 0 || a.SkippedLocked < 360 {
		t.Fatalf("acme totals %+v", a)
	}
	if b := tot["beta"]; b.UploadsAborted != 1 || b.ObjectsExpired != 0 || b.Errors != 0 {
		t.Fatalf("beta totals %+v", b)
	}
}

// cancellingStore cancels a pass's context after a number of deletes and
// counts the deletes that succeeded.
type cancellingStore struct {
	storage.ObjectStore
	after   int64
	cancel  context.CancelFunc
	calls   atomic.Int64
	deleted atomic.Int64
}

func (s *cancellingStore) DeleteObject(ctx context.Context, tenant, bucket, key string, opts storage.DeleteOptions) (storage.DeleteResult, error) {
	if s.cancel != nil && s.calls.Add(1) > s.after {
		s.cancel()
		return storage.DeleteResult{}, ctx.Err()
	}
	r, err := s.ObjectStore.DeleteObject(ctx, tenant, bucket, key, opts)
	if err == nil {
		s.deleted.Add(1)
	}
	return r, err
}

// crashScenario builds two buckets of many keys and versions, all due.
func crashScenario(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	mkTenant(t, st, "acme")
	mkBucket(t, st, "acme", "a-plain", "", false)
	setRules(t, st, "acme", "a-plain", `<Rule><ID>odd</ID><Filter><Prefix>k1</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	mkBucket(t, st, "acme", "b-ver", storage.VersioningEnabled, false)
	setRules(t, st, "acme", "b-ver", `<Rule><ID>all</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`)
	for i := range 30 {
		k := string(rune('a'+i%26)) + "-" + string(rune('0'+i/26))
		putObj(t, st, "acme", "a-plain", "k"+k, i, storage.PutOptions{})
		putObj(t, st, "acme", "a-plain", "k1"+k, i+1, storage.PutOptions{})
		for v := range 3 {
			putObj(t, st, "acme", "b-ver", k, i*10+v, storage.PutOptions{})
		}
	}
	_ = ctx
}

// TestCrashResume interrupts passes after every few deletes and resumes
// them until done: the final state equals an uninterrupted pass's, no
// delete happens twice and every resumed pass starts at its cursor.
func TestCrashResume(t *testing.T) {
	ctx := context.Background()
	base := time.Now().Add(3 * 24 * time.Hour)

	ref := openStore(t)
	crashScenario(t, ref)
	refStore := &cancellingStore{ObjectStore: ref}
	refRes, err := New(Config{Store: refStore, Now: func() time.Time { return base }, PageSize: 4}).RunPass(ctx, "")
	must(t, err)
	if refStore.deleted.Load() == 0 {
		t.Fatal("the reference pass deleted nothing")
	}

	st := openStore(t)
	crashScenario(t, st)
	state := filepath.Join(t.TempDir(), "lifecycle.state")
	var deleted int64
	var total Stats
	runs := 0
	for {
		runs++
		if runs > 200 {
			t.Fatal("passes never finish")
		}
		pctx, cancel := context.WithCancel(ctx)
		cs := &cancellingStore{ObjectStore: st, after: 7, cancel: cancel}
		res, err := New(Config{Store: cs, Now: func() time.Time { return base }, PageSize: 4, StateFile: state}).RunPass(pctx, "")
		cancel()
		deleted += cs.deleted.Load()
		total.add(res.Total())
		if runs > 1 && !res.Resumed {
			t.Fatalf("run %d did not resume", runs)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("run %d: %v", runs, err)
		}
		if c, err := loadCursor(state); err != nil || c == nil {
			t.Fatalf("run %d left no cursor: %v", runs, err)
		}
	}
	if runs < 3 {
		t.Fatalf("only %d runs: the test did not interrupt anything", runs)
	}
	if c, _ := loadCursor(state); c != nil {
		t.Fatalf("a finished pass left cursor %+v", c)
	}
	for _, b := range []string{"a-plain", "b-ver"} {
		got, want := shape(t, st, "acme", b), shape(t, ref, "acme", b)
		if !slices.Equal(got, want) {
			t.Fatalf("%s after interrupted passes:\n%q\nuninterrupted:\n%q", b, got, want)
		}
	}
	if deleted != refStore.deleted.Load() {
		t.Fatalf("interrupted passes deleted %d times, the uninterrupted one %d", deleted, refStore.deleted.Load())
	}
	rt := refRes.Total()
	if total.ObjectsExpired != rt.ObjectsExpired || total.BytesExpired != rt.BytesExpired || total.Errors != 0 {
		t.Fatalf("interrupted totals %+v, uninterrupted %+v", total, rt)
	}
	checkUsage(t, st, "acme")
	// The next pass (the markers made the newest versions noncurrent, so
	// more is due) brings both to the same state again.
	for _, s := range []*storage.Store{st, ref} {
		_, err := New(Config{Store: s, Now: func() time.Time { return base }}).RunPass(ctx, "")
		must(t, err)
	}
	for _, b := range []string{"a-plain", "b-ver"} {
		if got, want := shape(t, st, "acme", b), shape(t, ref, "acme", b); !slices.Equal(got, want) {
			t.Fatalf("%s after the next pass:\n%q\nuninterrupted:\n%q", b, got, want)
		}
	}
}
