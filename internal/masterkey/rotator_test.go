package masterkey

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
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
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, dir: t.TempDir(), secret: map[string]string{}}
	e.open()
	t.Cleanup(e.close)
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
	for _, at := range []string{"add", "secrets", "objects", "confirm", "retire"} {
		t.Run(at, func(t *testing.T) {
			e := newEnv(t)
			orig := e.ring.IDs()[0]
			r := e.rotator(func(step string) error {
				if step == at {
					return errCrash
				}
				return nil
			})
			if _, err := r.Rotate(); err != nil {
				t.Fatal(err)
			}
			r.Wait()
			if st := r.Status(); st.Phase != "failed" || st.Error != "crash" || st.Running {
				t.Fatalf("status after the cut: %+v", st)
			}
			e.close()
			e.open()
			e.checkSecrets()
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
