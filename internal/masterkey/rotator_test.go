package masterkey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/storage"
)

// env is a key file, an auth store and a storage store in one directory,
// reopened as a restarted server would.
type env struct {
	t      *testing.T
	dir    string
	ring   *auth.KeyRing
	auth   *auth.Store
	store  *storage.Store
	secret map[string]string // access key -> secret
	mu     sync.Mutex
	object map[string][]byte // SSE-S3 objects of acme/bkt by key
}

// objects is how many SSE-S3 objects newEnv writes (more than one batch
// of the storage walk).
const objects = 300

func newEnv(t *testing.T) *env {
	e := &env{t: t, dir: t.TempDir(), secret: map[string]string{}, object: map[string][]byte{}}
	e.open()
	t.Cleanup(e.close)
	ctx := context.Background()
	if err := e.store.CreateTenant(ctx, "acme", storage.Quota{}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateBucket(ctx, "acme", "bkt", storage.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range objects {
		if err := e.put(fmt.Sprintf("obj%04d", i), i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		c, err := e.auth.GenerateKey(fmt.Sprintf("t%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		e.secret[c.AccessKey] = c.SecretKey
	}
	return e
}

func (e *env) open() {
	e.t.Helper()
	var err error
	if e.ring, err = auth.LoadKeyRing(filepath.Join(e.dir, "master.key")); err != nil {
		e.t.Fatal(err)
	}
	if e.auth, err = auth.OpenStoreRing(filepath.Join(e.dir, "auth.db"), e.ring); err != nil {
		e.t.Fatal(err)
	}
	e.store, err = storage.Open(storage.Config{DataDir: e.dir, Drives: []string{filepath.Join(e.dir, "d1"), filepath.Join(e.dir, "d2")},
		ScrubInterval: -1, Keys: e.ring})
	if err != nil {
		e.t.Fatal(err)
	}
}

// put writes an SSE-S3 object whose bytes depend on seed.
func (e *env) put(key string, seed int) error {
	data := bytes.Repeat([]byte(fmt.Sprintf("%s/%d;", key, seed)), 1+seed%50)
	_, err := e.store.PutObject(context.Background(), "acme", "bkt", key, bytes.NewReader(data),
		storage.PutOptions{Size: int64(len(data)), Encryption: storage.Encryption{Mode: storage.SSES3}})
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.object[key] = data
	e.mu.Unlock()
	return nil
}

// get reads an object whole and checks it against what put wrote (or a
// newer write of it that may have committed meanwhile, for racing reads).
func (e *env) get(key string) error {
	ctx := context.Background()
	r, err := e.store.OpenObject(ctx, "acme", "bkt", key)
	if err != nil {
		return err
	}
	defer r.Close()
	rc, err := r.Range(ctx, 0, r.Info().Size)
	if err != nil {
		return err
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(got, []byte(key+"/")) {
		return fmt.Errorf("%s reads %d wrong bytes", key, len(got))
	}
	return nil
}

func (e *env) checkObjects() {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	ctx := context.Background()
	for k, want := range e.object {
		r, err := e.store.OpenObject(ctx, "acme", "bkt", k)
		if err != nil {
			e.t.Fatalf("%s: %v", k, err)
		}
		rc, err := r.Range(ctx, 0, r.Info().Size)
		if err != nil {
			e.t.Fatalf("%s: %v", k, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		r.Close()
		if err != nil || !bytes.Equal(got, want) {
			e.t.Fatalf("%s reads %d bytes (want %d): %v", k, len(got), len(want), err)
		}
	}
}

func (e *env) close() {
	if e.auth != nil {
		e.auth.Close()
		e.store.Close()
		e.auth, e.store = nil, nil
	}
}

func (e *env) rotator(step func(string) error) *Rotator {
	return New(Config{Ring: e.ring, Secrets: e.auth, Objects: e.store, testStep: step})
}

func (e *env) checkSecrets() {
	e.t.Helper()
	for ak, want := range e.secret {
		if _, got, err := e.auth.LookupSecret(ak); err != nil || got != want {
			e.t.Fatalf("secret of %s after restart: %v", ak, err)
		}
	}
}

var errCrash = errors.New("crash")

// TestRotateCrashAtEveryStep stops a rotation before each of its steps, as
// a crash would, restarts, checks every secret reads, and lets the
// restarted server finish it (Resume, or Rotate when the crash came before
// the new key was recorded): one key left, not the original, and the
// secrets under it.
func TestRotateCrashAtEveryStep(t *testing.T) {
	for _, at := range []string{"add", "secrets", "objects", "object", "confirm", "retire"} {
		t.Run(at, func(t *testing.T) {
			e := newEnv(t)
			orig := e.ring.IDs()[0]
			objectsDone := 0
			r := e.rotator(func(step string) error {
				if step == "object" {
					// Mid-walk: after a batch committed, in the second.
					if objectsDone++; objectsDone < 200 {
						return nil
					}
				}
				if step == at {
					return errCrash
				}
				return nil
			})
			if _, err := r.Rotate(); err != nil {
				t.Fatal(err)
			}
			r.Wait()
			if st := r.Status(); st.Phase != "failed" || !strings.HasSuffix(st.Error, "crash") || st.Running {
				t.Fatalf("status after the cut: %+v", st)
			}
			e.close()
			e.open()
			e.checkSecrets()
			e.checkObjects()
			keys := e.ring.IDs()
			if (at == "add") != (len(keys) == 1) {
				t.Fatalf("after a cut at %s the file holds keys %v", at, keys)
			}
			r = e.rotator(nil)
			r.Resume()
			r.Wait()
			if at == "add" {
				if _, err := r.Rotate(); err != nil {
					t.Fatal(err)
				}
				r.Wait()
			}
			st := r.Status()
			if st.Phase != "done" || len(st.Retiring) != 0 || st.Current == orig || st.Resumed != (at != "add") {
				t.Fatalf("status after the resumed rotation: %+v", st)
			}
			if st.SecretsByKey[st.Current] != len(e.secret) || len(st.SecretsByKey) != 1 {
				t.Fatalf("secrets by key: %v", st.SecretsByKey)
			}
			e.close()
			e.open()
			if ids := e.ring.IDs(); !slices.Equal(ids, []string{st.Current}) {
				t.Fatalf("key file after the rotation: %v, want [%s]", ids, st.Current)
			}
			e.checkSecrets()
			e.checkObjects()
		})
	}
}

// TestRotateOnlyOneAtATime: a second Rotate while one runs is refused.
func TestRotateOnlyOneAtATime(t *testing.T) {
	e := newEnv(t)
	reached, release := make(chan struct{}), make(chan struct{})
	r := e.rotator(func(step string) error {
		if step == "secrets" {
			close(reached)
			<-release
		}
		return nil
	})
	if _, err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	<-reached
	if _, err := r.Rotate(); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Rotate: %v", err)
	}
	if st := r.Status(); !st.Running || len(st.Retiring) != 1 {
		t.Fatalf("status while running: %+v", st)
	}
	close(release)
	r.Wait()
	if st := r.Status(); st.Phase != "done" {
		t.Fatalf("status: %+v", st)
	}
	// An in-memory ring cannot rotate.
	mem, _ := auth.NewKeyRing(make([]byte, 32))
	if _, err := New(Config{Ring: mem, Secrets: e.auth, Objects: e.store}).Rotate(); !errors.Is(err, auth.ErrKeyRingInMemory) {
		t.Fatalf("in-memory ring: %v", err)
	}
}

// TestRotateUnderTraffic: PUTs and GETs of SSE-S3 objects run throughout
// a rotation of a few hundred of them and never fail; afterwards every
// object (those written during the rotation too) reads under the new key
// alone, after a restart as well.
func TestRotateUnderTraffic(t *testing.T) {
	e := newEnv(t)
	stop := make(chan struct{})
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	var puts sync.Map
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("obj%04d", (i*7+w*13)%objects)
				var err error
				if w%2 == 0 {
					err = e.put(key, i+w)
					puts.Store(key, true)
				} else {
					err = e.get(key)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	r := e.rotator(nil)
	if _, err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("request during the rotation: %v", err)
	}
	st := r.Status()
	if st.Phase != "done" || len(st.Retiring) != 0 || st.Objects == 0 {
		t.Fatalf("status: %+v", st)
	}
	n := 0
	puts.Range(func(any, any) bool { n++; return true })
	if n == 0 {
		t.Fatal("no PUT ran during the rotation")
	}
	e.checkObjects()
	e.close()
	e.open()
	if len(e.ring.IDs()) != 1 {
		t.Fatalf("keys after the rotation: %v", e.ring.IDs())
	}
	e.checkObjects()
	e.checkSecrets()
}
