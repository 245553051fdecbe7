package kv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/kv/kvtest"
	bolt "go.etcd.io/bbolt"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kvtest.Stop()
	os.Exit(code)
}

// backends runs f against a fresh bbolt file and a fresh etcd prefix.
func backends(t *testing.T, f func(t *testing.T, db kv.DB)) {
	t.Run("bolt", func(t *testing.T) {
		b, err := bolt.Open(filepath.Join(t.TempDir(), "kv.db"), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db := kv.NewBolt(b)
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Error(err)
			}
		})
		f(t, db)
	})
	t.Run("etcd", func(t *testing.T) {
		f(t, kv.NewEtcd(kvtest.Etcd(t), kvtest.Prefix(t)))
	})
}

var ctx = context.Background()

func mustUpdate(t *testing.T, db kv.DB, fn func(kv.Tx) error) {
	t.Helper()
	if err := db.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// keysOf walks path's bucket with a cursor from seek (nil: Next from the
// start) and returns "key=value" entries.
func keysOf(t *testing.T, tx kv.Tx, seek []byte, path ...[]byte) []string {
	t.Helper()
	b, err := tx.Bucket(path...)
	if err != nil {
		t.Fatal(err)
	}
	if b == nil {
		return nil
	}
	c := b.Cursor()
	var out []string
	var k, v []byte
	if seek == nil {
		k, v = c.Next()
	} else {
		k, v = c.Seek(seek)
	}
	for ; k != nil; k, v = c.Next() {
		if v == nil {
			t.Fatalf("cursor returned nil value for %q", k)
		}
		out = append(out, fmt.Sprintf("%q=%q", k, v))
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func eq(t *testing.T, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

var bk = []byte("b")

func TestOrderingAndEmptyValues(t *testing.T) {
	backends(t, func(t *testing.T, db kv.DB) {
		keys := [][]byte{{0xff}, {0x00}, {0x00, 0x00}, []byte("a"), []byte("a\x00"), []byte("a\xff"), {0xff, 0xff}, []byte("B"), {0x01}}
		mustUpdate(t, db, func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bk)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := b.Put(k, []byte{}); err != nil {
					return err
				}
			}
			return b.Put([]byte("v"), []byte("x\x00y"))
		})
		want := []string{`"\x00"=""`, `"\x00\x00"=""`, `"\x01"=""`, `"B"=""`, `"a"=""`, `"a\x00"=""`, `"a\xff"=""`, `"v"="x\x00y"`, `"\xff"=""`, `"\xff\xff"=""`}
		err := db.View(ctx, func(tx kv.Tx) error {
			eq(t, keysOf(t, tx, nil, bk), want)
			eq(t, keysOf(t, tx, []byte("a\x01"), bk), want[6:])
			eq(t, keysOf(t, tx, []byte{0xff, 0xff, 0x00}, bk), nil)
			b, _ := tx.Bucket(bk)
			v, err := b.Get([]byte("a"))
			if err != nil || v == nil || len(v) != 0 {
				t.Fatalf("empty value: %q %v (want non-nil empty)", v, err)
			}
			if v, err := b.Get([]byte("nope")); v != nil || err != nil {
				t.Fatalf("absent key: %q %v", v, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestNestedBuckets(t *testing.T) {
	backends(t, func(t *testing.T, db kv.DB) {
		mustUpdate(t, db, func(tx kv.Tx) error {
			top, err := tx.CreateBucketIfNotExists(bk)
			if err != nil {
				return err
			}
			for _, k := range []string{"a", "z"} {
				if err := top.Put([]byte(k), []byte("top")); err != nil {
					return err
				}
			}
			for _, name := range []string{"m", "m2", "\x00"} {
				n, err := tx.CreateBucketIfNotExists(bk, []byte(name))
				if err != nil {
					return err
				}
				if err := n.Put([]byte("k"), []byte(name)); err != nil {
					return err
				}
			}
			deep, err := tx.CreateBucketIfNotExists(bk, []byte("m"), []byte("deep"))
			if err != nil {
				return err
			}
			return deep.Put([]byte("d"), []byte("deep"))
		})
		err := db.View(ctx, func(tx kv.Tx) error {
			eq(t, keysOf(t, tx, nil, bk), []string{`"a"="top"`, `"z"="top"`})
			eq(t, keysOf(t, tx, nil, bk, []byte("m")), []string{`"k"="m"`})
			eq(t, keysOf(t, tx, nil, bk, []byte("m2")), []string{`"k"="m2"`})
			eq(t, keysOf(t, tx, nil, bk, []byte("\x00")), []string{`"k"="\x00"`})
			eq(t, keysOf(t, tx, nil, bk, []byte("m"), []byte("deep")), []string{`"d"="deep"`})
			if b, err := tx.Bucket([]byte("m")); b != nil || err != nil {
				t.Fatalf("top-level m exists: %v", err)
			}
			if b, err := tx.Bucket(bk, []byte("x")); b != nil || err != nil {
				t.Fatalf("b/x exists: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// DeleteBucket takes nested buckets along, leaves siblings.
		mustUpdate(t, db, func(tx kv.Tx) error {
			if err := tx.DeleteBucket(bk, []byte("m")); err != nil {
				return err
			}
			return tx.DeleteBucket(bk, []byte("missing"))
		})
		err = db.View(ctx, func(tx kv.Tx) error {
			for _, p := range [][][]byte{{bk, []byte("m")}, {bk, []byte("m"), []byte("deep")}} {
				if b, err := tx.Bucket(p...); b != nil || err != nil {
					t.Fatalf("%q survived DeleteBucket: %v", p, err)
				}
			}
			eq(t, keysOf(t, tx, nil, bk, []byte("m2")), []string{`"k"="m2"`})
			eq(t, keysOf(t, tx, nil, bk), []string{`"a"="top"`, `"z"="top"`})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A bucket deleted and recreated in one transaction holds only
		// what was written after.
		mustUpdate(t, db, func(tx kv.Tx) error {
			if err := tx.DeleteBucket(bk); err != nil {
				return err
			}
			b, err := tx.CreateBucketIfNotExists(bk)
			if err != nil {
				return err
			}
			if v, err := b.Get([]byte("a")); v != nil || err != nil {
				t.Fatalf("deleted key visible: %q %v", v, err)
			}
			if err := b.Put([]byte("new"), []byte("1")); err != nil {
				return err
			}
			eq(t, keysOf(t, tx, nil, bk), []string{`"new"="1"`})
			return nil
		})
		err = db.View(ctx, func(tx kv.Tx) error {
			eq(t, keysOf(t, tx, nil, bk), []string{`"new"="1"`})
			if b, err := tx.Bucket(bk, []byte("m2")); b != nil || err != nil {
				t.Fatalf("nested bucket survived its parent's delete: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestReadYourWrites(t *testing.T) {
	backends(t, func(t *testing.T, db kv.DB) {
		mustUpdate(t, db, func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bk)
			if err != nil {
				return err
			}
			for _, k := range []string{"a", "c", "e", "g"} {
				if err := b.Put([]byte(k), []byte("old")); err != nil {
					return err
				}
			}
			return nil
		})
		mustUpdate(t, db, func(tx kv.Tx) error {
			b, err := tx.Bucket(bk)
			if err != nil {
				return err
			}
			for _, op := range []func() error{
				func() error { return b.Put([]byte("b"), []byte("new")) },
				func() error { return b.Put([]byte("c"), []byte("new")) },
				func() error { return b.Delete([]byte("e")) },
				func() error { return b.Put([]byte("h"), []byte("new")) },
				func() error { return b.Delete([]byte("zz")) },
			} {
				if err := op(); err != nil {
					return err
				}
			}
			if v, _ := b.Get([]byte("c")); string(v) != "new" {
				t.Fatalf("Get c = %q", v)
			}
			if v, _ := b.Get([]byte("e")); v != nil {
				t.Fatalf("Get deleted e = %q", v)
			}
			want := []string{`"a"="old"`, `"b"="new"`, `"c"="new"`, `"g"="old"`, `"h"="new"`}
			eq(t, keysOf(t, tx, nil, bk), want)
			eq(t, keysOf(t, tx, []byte("d"), bk), want[3:])
			for _, k := range []string{"a", "b", "c", "g", "h"} {
				if err := b.Delete([]byte(k)); err != nil {
					return err
				}
			}
			eq(t, keysOf(t, tx, nil, bk), nil)
			return b.Put([]byte("last"), nil)
		})
		err := db.View(ctx, func(tx kv.Tx) error {
			eq(t, keysOf(t, tx, nil, bk), []string{`"last"=""`})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestNextSequence(t *testing.T) {
	backends(t, func(t *testing.T, db kv.DB) {
		var got []uint64
		for range 2 {
			mustUpdate(t, db, func(tx kv.Tx) error {
				b, err := tx.CreateBucketIfNotExists(bk)
				if err != nil {
					return err
				}
				for range 2 {
					n, err := b.NextSequence()
					if err != nil {
						return err
					}
					got = append(got, n)
				}
				// The counter is not a key.
				eq(t, keysOf(t, tx, nil, bk), nil)
				return nil
			})
		}
		if fmt.Sprint(got) != "[1 2 3 4]" {
			t.Fatalf("sequences %v", got)
		}
		// Another bucket counts on its own.
		mustUpdate(t, db, func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("other"))
			if err != nil {
				return err
			}
			n, err := b.NextSequence()
			if n != 1 {
				t.Fatalf("other bucket's first sequence = %d", n)
			}
			return err
		})
	})
}

func TestRollback(t *testing.T) {
	backends(t, func(t *testing.T, db kv.DB) {
		mustUpdate(t, db, func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bk)
			if err != nil {
				return err
			}
			return b.Put([]byte("keep"), []byte("1"))
		})
		boom := errors.New("boom")
		for _, run := range []func(context.Context, func(kv.Tx) error) error{db.Update, db.Batch} {
			err := run(ctx, func(tx kv.Tx) error {
				b, err := tx.Bucket(bk)
				if err != nil {
					return err
				}
				if err := b.Put([]byte("lost"), []byte("x")); err != nil {
					return err
				}
				if err := b.Delete([]byte("keep")); err != nil {
					return err
				}
				if _, err := tx.CreateBucketIfNotExists([]byte("lostbucket")); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want boom", err)
			}
		}
		err := db.View(ctx, func(tx kv.Tx) error {
			eq(t, keysOf(t, tx, nil, bk), []string{`"keep"="1"`})
			if b, err := tx.Bucket([]byte("lostbucket")); b != nil || err != nil {
				t.Fatalf("rolled back bucket exists: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestConcurrentCounter: K goroutines each doing N read-increment-write
// transactions on one counter end at exactly K*N: no lost update.
func TestConcurrentCounter(t *testing.T) {
	backends(t, func(t *testing.T, db kv.DB) {
		mustUpdate(t, db, func(tx kv.Tx) error { _, err := tx.CreateBucketIfNotExists(bk); return err })
		const K, N = 6, 15
		incr := func(tx kv.Tx) error {
			b, err := tx.Bucket(bk)
			if err != nil {
				return err
			}
			v, err := b.Get([]byte("n"))
			if err != nil {
				return err
			}
			var n int
			if v != nil {
				if _, err := fmt.Sscan(string(v), &n); err != nil {
					return err
				}
			}
			return b.Put([]byte("n"), fmt.Append(nil, n+1))
		}
		var wg sync.WaitGroup
		errs := make(chan error, K*N)
		for g := range K {
			wg.Go(func() {
				for range N {
					run := db.Update
					if g%2 == 1 {
						run = db.Batch
					}
					if err := run(ctx, incr); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		err := db.View(ctx, func(tx kv.Tx) error {
			b, _ := tx.Bucket(bk)
			v, err := b.Get([]byte("n"))
			if string(v) != fmt.Sprint(K*N) {
				t.Fatalf("counter = %q, want %d", v, K*N)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestPhantom: two transactions each check that a range holds no key and
// insert one into it; serializability lets exactly one do so.
func TestPhantom(t *testing.T) {
	backends(t, func(t *testing.T, db kv.DB) {
		mustUpdate(t, db, func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bk)
			if err != nil {
				return err
			}
			return b.Put([]byte("a"), []byte("outside"))
		})
		ready, goOn := make(chan struct{}), make(chan struct{})
		var once [2]sync.Once
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				err := db.Update(ctx, func(tx kv.Tx) error {
					b, err := tx.Bucket(bk)
					if err != nil {
						return err
					}
					c := b.Cursor()
					k, _ := c.Seek([]byte("r"))
					if err := c.Err(); err != nil {
						return err
					}
					once[i].Do(func() {
						// Both have read before either commits (bbolt's
						// single writer serializes them instead).
						if _, ok := db.(*kv.Etcd); ok {
							ready <- struct{}{}
							<-goOn
						}
					})
					if k != nil && bytes.HasPrefix(k, []byte("r")) {
						return nil // taken
					}
					return b.Put(fmt.Appendf(nil, "r%d", i), []byte("x"))
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		if _, ok := db.(*kv.Etcd); ok {
			<-ready
			<-ready
			close(goOn)
		}
		wg.Wait()
		err := db.View(ctx, func(tx kv.Tx) error {
			got := keysOf(t, tx, []byte("r"), bk)
			if len(got) != 1 {
				t.Fatalf("range holds %v, want exactly one insert", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestUnavailable: a closed client's errors wrap kv.Unavailable.
func TestUnavailable(t *testing.T) {
	cli := kvtest.Etcd(t)
	db := kv.NewEtcd(cli, kvtest.Prefix(t))
	db.Timeout = 2 * time.Second
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx kv.Tx) error { _, err := tx.CreateBucketIfNotExists(bk); return err })
	if !errors.Is(err, kv.Unavailable) {
		t.Fatalf("err = %v, want kv.Unavailable", err)
	}
}

// TestUnavailableWhenDown: with its etcd stopped, calls end at the
// deadline with kv.Unavailable, reads and writes alike.
func TestUnavailableWhenDown(t *testing.T) {
	cli, stop := kvtest.Member(t)
	db := kv.NewEtcd(cli, "/down/")
	db.Timeout = time.Second
	mustUpdate(t, db, func(tx kv.Tx) error { _, err := tx.CreateBucketIfNotExists(bk); return err })
	stop()
	err := db.Update(ctx, func(tx kv.Tx) error {
		b, err := tx.Bucket(bk)
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	if !errors.Is(err, kv.Unavailable) {
		t.Fatalf("Update: %v, want kv.Unavailable", err)
	}
	err = db.View(ctx, func(tx kv.Tx) error { _, err := tx.Bucket(bk); return err })
	if !errors.Is(err, kv.Unavailable) {
		t.Fatalf("View: %v, want kv.Unavailable", err)
	}
}

// TestEtcdTooLarge: a transaction past etcd's --max-txn-ops fails with
// kv.ErrTooLarge and commits nothing; concurrent Batch calls that fit one
// by one but not together all commit (the batch is split).
func TestEtcdTooLarge(t *testing.T) {
	db := kv.NewEtcd(kvtest.Etcd(t), kvtest.Prefix(t))
	putN := func(tag string, n int) func(kv.Tx) error {
		return func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bk)
			if err != nil {
				return err
			}
			for i := range n {
				if err := b.Put(fmt.Appendf(nil, "%s-%05d", tag, i), []byte("v")); err != nil {
					return err
				}
			}
			return nil
		}
	}
	err := db.Update(ctx, putN("big", kvtest.MaxTxnOps+1))
	if !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("err = %v, want kv.ErrTooLarge", err)
	}
	const callers, per = 24, kvtest.MaxTxnOps / 8
	var wg sync.WaitGroup
	for g := range callers {
		wg.Go(func() {
			if err := db.Batch(ctx, putN(fmt.Sprint("c", g), per)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	err = db.View(ctx, func(tx kv.Tx) error {
		b, err := tx.Bucket(bk)
		if err != nil || b == nil {
			return fmt.Errorf("bucket: %v", err)
		}
		n := 0
		c := b.Cursor()
		for k, _ := c.Next(); k != nil; k, _ = c.Next() {
			if bytes.HasPrefix(k, []byte("big")) {
				return fmt.Errorf("key %q of the refused transaction committed", k)
			}
			n++
		}
		if n != callers*per {
			return fmt.Errorf("%d keys, want %d", n, callers*per)
		}
		return c.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestViewWithoutQuorum: a three-member etcd loses two members. Writes
// fail with kv.Unavailable; Views read the committed state from the
// member left (serializably): the first after its linearizable read's
// deadline, the next ones without waiting.
func TestViewWithoutQuorum(t *testing.T) {
	urls, stops := kvtest.Cluster(t, 3)
	cli, err := clientv3.New(clientv3.Config{Endpoints: urls[:1], DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cli.Close() }()
	db := kv.NewEtcd(cli, "/quorum/")
	db.Timeout = 2 * time.Second
	put := func(v string) error {
		return db.Update(ctx, func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bk)
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte(v))
		})
	}
	read := func() (string, error) {
		var got string
		err := db.View(ctx, func(tx kv.Tx) error {
			got = ""
			b, err := tx.Bucket(bk)
			if err != nil || b == nil {
				return err
			}
			v, err := b.Get([]byte("k"))
			got = string(v)
			return err
		})
		return got, err
	}
	if err := put("committed"); err != nil {
		t.Fatal(err)
	}
	stops[1]()
	stops[2]()
	if err := put("lost"); !errors.Is(err, kv.Unavailable) {
		t.Fatalf("Update without quorum: %v, want kv.Unavailable", err)
	}
	for i := range 3 {
		got, err := read()
		if err != nil || got != "committed" {
			t.Fatalf("View %d without quorum = %q, %v; want the committed value", i, got, err)
		}
	}
}
