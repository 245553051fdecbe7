// Command fill adds many small objects to a bucket by opening Coffer's
// storage package directly on a stopped server's data directory, so that
// the metadata-scale benchmark (make bench-scale) can reach a million
// objects in minutes instead of the ~17 minutes that single HTTP PUTs take.
// Every object goes through storage.PutObject (erasure coding, pack log,
// index commit): the result is the same on-disk state the S3 API produces.
//
//	fill -data DIR -drives 4 -parity 2 -tenant bench -bucket scale -from 0 -to 100000
//
// Keys are PREFIX%08d for from <= i < to. The tenant must exist; the bucket
// is created if it does not. The server must be stopped (bbolt holds a lock).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// Options are fill's parameters.
type Options struct {
	Tenant, Bucket, Prefix string
	From, To               int
	Workers                int
	Size                   int // bytes per object
	Progress               io.Writer
}

func main() {
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	data := fs.String("data", "", "server data `DIR` (drives are DIR/drive1..N)")
	drives := fs.Int("drives", 4, "number of drive directories")
	parity := fs.Int("parity", 2, "parity shards")
	var o Options
	fs.StringVar(&o.Tenant, "tenant", "bench", "tenant (must exist)")
	fs.StringVar(&o.Bucket, "bucket", "scale", "bucket (created if missing)")
	fs.StringVar(&o.Prefix, "prefix", "fill/", "key prefix")
	fs.IntVar(&o.From, "from", 0, "first key number")
	fs.IntVar(&o.To, "to", 1000, "key numbers up to (not including) this")
	fs.IntVar(&o.Workers, "workers", 256, "concurrent PutObject calls")
	fs.IntVar(&o.Size, "size", 0, "object size in bytes")
	_ = fs.Parse(os.Args[1:]) // ExitOnError: a bad flag exits here
	if *data == "" {
		fmt.Fprintln(os.Stderr, "fill: -data is required")
		os.Exit(2)
	}
	o.Progress = os.Stderr
	var dirs []string
	for i := 1; i <= *drives; i++ {
		dirs = append(dirs, filepath.Join(*data, "drive"+strconv.Itoa(i)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := storage.Open(storage.Config{DataDir: *data, Drives: dirs, Parity: *parity, ScrubInterval: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fill: open storage (is the server stopped?):", err)
		os.Exit(1)
	}
	start := time.Now()
	err = Fill(ctx, store, o)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		os.Exit(1)
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("filled %d objects of %d bytes in %.1f s (%.0f PUT/s, %d workers)\n",
		o.To-o.From, o.Size, secs, float64(o.To-o.From)/secs, o.Workers)
}

// Fill puts objects From..To-1 into the bucket with Workers goroutines.
func Fill(ctx context.Context, store storage.ObjectStore, o Options) error {
	if err := store.CreateBucket(ctx, o.Tenant, o.Bucket, storage.BucketOptions{}); err != nil && !errors.Is(err, storage.ErrBucketExists) {
		return fmt.Errorf("create bucket: %w", err)
	}
	body := make([]byte, o.Size)
	var next, done atomic.Int64
	next.Store(int64(o.From))
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	stopProgress := make(chan struct{})
	if o.Progress != nil {
		go func() {
			t := time.NewTicker(10 * time.Second)
			defer t.Stop()
			start := time.Now()
			for {
				select {
				case <-stopProgress:
					return
				case <-t.C:
					n := done.Load()
					fmt.Fprintf(o.Progress, "fill: %d/%d (%.0f PUT/s)\n", n, o.To-o.From, float64(n)/time.Since(start).Seconds())
				}
			}
		}()
	}
	for range max(o.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(o.To) {
					return
				}
				key := fmt.Sprintf("%s%08d", o.Prefix, i)
				rd := &sliceReader{b: body}
				if _, err := store.PutObject(ctx, o.Tenant, o.Bucket, key, rd, storage.PutOptions{Size: int64(o.Size)}); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("put %s: %w", key, err) })
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stopProgress)
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// sliceReader reads a shared byte slice without copying it per object.
type sliceReader struct {
	b   []byte
	off int
}

func (r *sliceReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}
