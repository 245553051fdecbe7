package lifecycle

import (
	"context"
	"time"

	rules "github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// versionWalk pages a bucket's versions and streams each key's versions
// (newest first, possibly split across pages) into the engine's facts, as
// rules.KeyObjects derives them, holding only the key's latest version
// until it knows whether the key has others: memory does not grow with a
// key's version count.
type versionWalk struct {
	p         *pass
	tenant    string
	bucket    string
	cfg       *rules.Configuration
	versioned bool
	suspended bool
	st        *Stats

	key     string
	n       int                 // versions of key seen so far
	prevMod time.Time           // ModTime of the previous version of key
	head    *storage.ObjectInfo // key's latest version, decided once n > 1 or the key ends
	done    string              // last key fully handled

	// inKey is the current key when the pass added (or is adding) a
	// delete marker to it, since when (see cursor.InKey).
	inKey       string
	markerSince time.Time
	// ignoreKey: on resume, a marker at this key's head created at or
	// after ignoreSince is the interrupted pass's own and is left out.
	ignoreKey   string
	ignoreSince time.Time
}

// save records where the walk stands.
func (w *versionWalk) save() error {
	return w.p.save(cursor{Tenant: w.tenant, Bucket: w.bucket, Key: w.done, InKey: w.inKey, MarkerSince: w.markerSince}, true)
}

// run walks the bucket from after key after ("" from the start),
// recording the cursor after every page.
func (w *versionWalk) run(ctx context.Context, after string) error {
	opts := storage.ListVersionsOptions{KeyMarker: after, MaxKeys: w.p.e.cfg.PageSize}
	for {
		page, err := w.p.e.cfg.Store.ListObjectVersions(ctx, w.tenant, w.bucket, opts)
		if err != nil {
			return err
		}
		for i := range page.Versions {
			if err := w.version(ctx, page.Versions[i]); err != nil {
				return err
			}
		}
		if !page.IsTruncated || len(page.Versions) == 0 {
			return w.endKey(ctx)
		}
		if err := w.save(); err != nil {
			return err
		}
		opts.KeyMarker, opts.VersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
	}
}

// version takes the next listed version.
func (w *versionWalk) version(ctx context.Context, v storage.ObjectInfo) error {
	if v.Key != w.key || w.n == 0 {
		if err := w.endKey(ctx); err != nil {
			return err
		}
		if w.ignoreKey != "" && v.Key == w.ignoreKey && v.DeleteMarker && !v.ModTime.Before(w.ignoreSince) {
			w.inKey, w.markerSince = v.Key, w.ignoreSince
			w.ignoreKey, w.key = "", v.Key // w.n stays 0: the next version is the head
			return nil
		}
		w.ignoreKey = ""
		w.key, w.n, w.prevMod = v.Key, 1, v.ModTime
		w.head = &v
		return nil
	}
	if w.head != nil {
		h := w.head
		w.head = nil
		if err := w.decide(ctx, *h, rules.Object{IsLatest: true, OtherVersions: 1}); err != nil {
			return err
		}
	}
	o := rules.Object{NoncurrentSince: w.prevMod, NewerNoncurrent: w.n - 1, OtherVersions: 1}
	w.prevMod = v.ModTime
	w.n++
	return w.decide(ctx, v, o)
}

// endKey decides a key's latest version if it was its only one.
func (w *versionWalk) endKey(ctx context.Context) error {
	if w.head != nil {
		h := w.head
		w.head = nil
		if err := w.decide(ctx, *h, rules.Object{IsLatest: true}); err != nil {
			return err
		}
	}
	if w.n > 0 {
		w.done = w.key
	}
	w.n, w.inKey, w.markerSince = 0, "", time.Time{}
	return nil
}

// decide completes o's facts from v, asks the engine and carries out
// what is due.
func (w *versionWalk) decide(ctx context.Context, v storage.ObjectInfo, o rules.Object) error {
	o.Key, o.Size, o.Tags, o.ModTime = v.Key, v.Size, v.Meta.Tags, v.ModTime
	o.IsDeleteMarker, o.Versioned = v.DeleteMarker, w.versioned
	d := w.cfg.Evaluate(&o, w.p.now)
	if d.Action == rules.ActionNone {
		return nil
	}
	if d.Action == rules.ActionAddDeleteMarker && w.inKey != v.Key {
		// Recorded before the marker exists; storage stamps versions
		// with its wall clock, at whole-second or finer precision.
		w.inKey, w.markerSince = v.Key, time.Now().Add(-time.Second).Truncate(time.Second)
		if err := w.save(); err != nil {
			return err
		}
	}
	return w.p.apply(ctx, w.tenant, w.bucket, v, d.Action, w.suspended, w.st)
}
