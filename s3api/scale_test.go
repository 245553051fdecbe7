package s3api

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMultipartManager uploads 100 MiB with feature/s3/manager (parallel
// parts, SDK default CRC trailers) and downloads it with parallel ranged GETs.
func TestMultipartManager(t *testing.T) {
	t.Parallel() // I/O-bound; overlaps with the CPU-bound tests
	if testing.Short() {
		t.Skip("100 MiB upload")
	}
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	mkBucket(t, c, "big")
	const size = 100 << 20
	src := io.LimitReader(rand.NewChaCha8([32]byte{42}), size)
	up := sha256.New()
	uploader := manager.NewUploader(c, func(u *manager.Uploader) {
		u.PartSize = 8 << 20
		u.Concurrency = 4
	})
	res, err := uploader.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("blob"), Body: io.TeeReader(src, up)})
	if err != nil {
		t.Fatalf("manager upload: %v", err)
	}
	wantParts := (size + (8 << 20) - 1) / (8 << 20)
	if want := fmt.Sprintf(`-%d"`, wantParts); len(aws.ToString(res.ETag)) < 4 || aws.ToString(res.ETag)[len(aws.ToString(res.ETag))-len(want):] != want {
		t.Fatalf("multipart ETag %s, want suffix %s", aws.ToString(res.ETag), want)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("blob")})
	if err != nil || aws.ToInt64(h.ContentLength) != size {
		t.Fatalf("HeadObject = %v, %v", h, err)
	}

	f, err := os.Create(filepath.Join(t.TempDir(), "down"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := manager.NewDownloader(c, func(d *manager.Downloader) { d.Concurrency = 4; d.PartSize = 8 << 20 }).
		Download(ctx, f, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob")})
	if err != nil || n != size {
		t.Fatalf("manager download: %d, %v", n, err)
	}
	down := sha256.New()
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(down, f); err != nil {
		t.Fatal(err)
	}
	if string(up.Sum(nil)) != string(down.Sum(nil)) {
		t.Fatal("downloaded bytes differ from uploaded bytes")
	}
	// A whole-object GET with checksum validation enabled streams the same bytes.
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	whole := sha256.New()
	if _, err := io.Copy(whole, g.Body); err != nil {
		t.Fatalf("streaming GET: %v", err)
	}
	g.Body.Close()
	if string(whole.Sum(nil)) != string(up.Sum(nil)) {
		t.Fatal("GET bytes differ")
	}
}

// TestListObjectsV2Pagination lists 2,500 keys in pages of 1000 (the ceiling)
// and of 97 with a delimiter, checking every key and prefix exactly once.
func TestListObjectsV2Pagination(t *testing.T) {
	t.Parallel() // I/O-bound; overlaps with the CPU-bound tests
	if testing.Short() {
		t.Skip("2,500 objects")
	}
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	mkBucket(t, c, "many")
	var keys []string
	for i := range 2500 {
		switch {
		case i < 2000:
			keys = append(keys, fmt.Sprintf("dir%02d/obj%04d", i%20, i))
		default:
			keys = append(keys, fmt.Sprintf("top%04d", i))
		}
	}
	work := make(chan string)
	var wg sync.WaitGroup
	const workers = 8
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("many"), Key: aws.String(k)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("PutObject: %v", err)
	}
	slices.Sort(keys)

	// Flat listing with the default (and maximum) page size.
	var got []string
	pages := 0
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("many"), MaxKeys: aws.Int32(5000)})
	for pg.HasMorePages() {
		p, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Contents) > 1000 {
			t.Fatalf("page of %d keys, over the 1000 ceiling", len(p.Contents))
		}
		got = append(got, objKeys(p.Contents)...)
		pages++
	}
	if !slices.Equal(got, keys) || pages != 3 {
		t.Fatalf("flat listing: %d keys in %d pages, want 2500 in 3", len(got), pages)
	}

	// Delimited listing in pages of 97: 20 prefixes and 500 top-level keys.
	var objs, prefs []string
	pg = s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("many"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(97)})
	for pg.HasMorePages() {
		p, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(aws.ToInt32(p.KeyCount)) != len(p.Contents)+len(p.CommonPrefixes) || aws.ToInt32(p.KeyCount) > 97 {
			t.Fatalf("KeyCount %d for %d+%d entries", aws.ToInt32(p.KeyCount), len(p.Contents), len(p.CommonPrefixes))
		}
		objs = append(objs, objKeys(p.Contents)...)
		prefs = append(prefs, prefixes(p.CommonPrefixes)...)
	}
	var wantPrefs []string
	for i := range 20 {
		wantPrefs = append(wantPrefs, fmt.Sprintf("dir%02d/", i))
	}
	if !slices.Equal(prefs, wantPrefs) {
		t.Fatalf("prefixes %v", prefs)
	}
	if !slices.Equal(objs, keys[2000:]) {
		t.Fatalf("top-level keys: %d, want 500", len(objs))
	}

	// One prefix, paged by 33.
	var sub []string
	pg = s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("many"), Prefix: aws.String("dir07/"), MaxKeys: aws.Int32(33)})
	for pg.HasMorePages() {
		p, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sub = append(sub, objKeys(p.Contents)...)
	}
	if len(sub) != 100 || !slices.IsSorted(sub) {
		t.Fatalf("dir07/: %d keys", len(sub))
	}
}
