package lifecycle

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/storetest"
	"github.com/cofferstore/coffer/storage"
)

// Environment of the child process of TestKillResume.
const (
	envChildDir   = "COFFER_LIFECYCLE_CHILD_DIR"
	envChildKill  = "COFFER_LIFECYCLE_CHILD_KILL_AFTER"
	envChildClock = "COFFER_LIFECYCLE_CHILD_NOW"
)

func openStoreAt(t *testing.T, dir string) *storage.Store { return storetest.OpenAt(t, dir) }

// killingStore SIGKILLs its own process right after the n-th delete that
// succeeded: no deferred cleanup, no store close.
type killingStore struct {
	storage.ObjectStore
	n       int64
	deleted atomic.Int64
}

func (s *killingStore) DeleteObject(ctx context.Context, tenant, bucket, key string, opts storage.DeleteOptions) (storage.DeleteResult, error) {
	r, err := s.ObjectStore.DeleteObject(ctx, tenant, bucket, key, opts)
	if err == nil && s.deleted.Add(1) >= s.n {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	return r, err
}

// TestLifecycleChild is the pass TestKillResume runs in a child process.
func TestLifecycleChild(t *testing.T) {
	dir := os.Getenv(envChildDir)
	if dir == "" {
		t.Skip("run by TestKillResume")
	}
	n, _ := strconv.ParseInt(os.Getenv(envChildKill), 10, 64)
	sec, _ := strconv.ParseInt(os.Getenv(envChildClock), 10, 64)
	st := openStoreAt(t, dir)
	defer st.Close()
	ks := &killingStore{ObjectStore: st, n: n}
	_, err := New(Config{Store: ks, Now: func() time.Time { return time.Unix(sec, 0) }, PageSize: 4,
		StateFile: filepath.Join(dir, "lifecycle.state")}).RunPass(context.Background(), "")
	must(t, err)
	fmt.Printf("deleted=%d\n", ks.deleted.Load())
}

// TestKillResume kills the process running a pass (SIGKILL) after every few
// deletes and runs it again until a pass finishes: the end state equals an
// uninterrupted pass's, usage equals a recount, and the deletes add up to
// the uninterrupted pass's (none done twice).
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	ctx := context.Background()
	now := time.Now().Add(3 * 24 * time.Hour).Truncate(time.Second)

	ref := openStore(t)
	crashScenario(t, ref)
	refStore := &cancellingStore{ObjectStore: ref}
	_, err := New(Config{Store: refStore, Now: func() time.Time { return now }, PageSize: 4}).RunPass(ctx, "")
	must(t, err)

	dir := t.TempDir()
	st := openStoreAt(t, dir)
	crashScenario(t, st)
	must(t, st.Close())

	const killAfter = 9
	var deleted int64
	kills := 0
	for run := 1; ; run++ {
		if run > 100 {
			t.Fatal("passes never finish")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestLifecycleChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildKill+"="+strconv.Itoa(killAfter),
			envChildClock+"="+strconv.FormatInt(now.Unix(), 10))
		out, err := cmd.CombinedOutput()
		if err == nil {
			_, after, ok := strings.Cut(string(out), "deleted=")
			if !ok {
				t.Fatalf("child output: %s", out)
			}
			n, err := strconv.ParseInt(strings.Fields(after)[0], 10, 64)
			must(t, err)
			deleted += n
			break
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("run %d: %v\n%s", run, err, out)
		}
		kills++
		deleted += killAfter
	}
	t.Logf("%d kills, %d deletes (uninterrupted: %d)", kills, deleted, refStore.deleted.Load())
	if kills < 3 {
		t.Fatalf("only %d kills: the test interrupted too little", kills)
	}
	st = openStoreAt(t, dir)
	defer st.Close()
	for _, b := range []string{"a-plain", "b-ver"} {
		if got, want := shape(t, st, "acme", b), shape(t, ref, "acme", b); !slices.Equal(got, want) {
			t.Fatalf("%s after %d kills:\n%q\nuninterrupted:\n%q", b, kills, got, want)
		}
	}
	if deleted != refStore.deleted.Load() {
		t.Fatalf("killed passes deleted %d times, the uninterrupted one %d", deleted, refStore.deleted.Load())
	}
	checkUsage(t, st, "acme")
	if c, err := loadCursor(filepath.Join(dir, "lifecycle.state")); err != nil || c != nil {
		t.Fatalf("cursor after the finished pass: %+v, %v", c, err)
	}
}
