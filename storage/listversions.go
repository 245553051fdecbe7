package storage

import (
	"bytes"
	"context"
	"errors"
	"strings"
)

// ListObjectVersions returns one page of a bucket's versions and delete
// markers, key ascending and newest first per key. It merges two forward
// walks in one view transaction: objects (each key's current version) and
// versions (noncurrent versions and delete markers, newest first per key);
// for a key, its current version comes first. Keys rolling up into a
// common prefix are skipped with one seek per walk. The markers follow
// S3: KeyMarker alone starts after every version of that key; with
// VersionIDMarker, after that version of it (a version id that names no
// version of the key, or a malformed one, starts after the key too; a
// well-formed id starts at the versions older than the stamp it encodes).
// Every step of both walks moves forward, so a page takes at most about
// MaxKeys steps of each whatever the markers hold.
func (s *Store) ListObjectVersions(ctx context.Context, tenant, bucket string, opts ListVersionsOptions) (ListVersionsResult, error) {
	var res ListVersionsResult
	max := opts.MaxKeys
	if max <= 0 || max > defaultMaxKeys {
		max = defaultMaxKeys
	}
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		res = ListVersionsResult{}
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		st, err := versionsStart(tx, b.ID, opts)
		if err != nil {
			return err
		}
		cur, ver := tx.listObjects(b.ID), tx.listVersions(b.ID)
		okC := seekFrom(cur, st.objects, st.skipObjects, opts.Prefix)
		okV := seekFrom(ver, st.versions, st.skipVersions, opts.Prefix)
		var (
			lastKey   string
			started   bool
			firstOfKy bool
			count     int
		)
		for okC || okV {
			var (
				vkey   string
				vstamp uint64
			)
			if okV {
				k, st, ok := splitVersionKey(ver.k)
				if !ok {
					okV = ver.next()
					continue
				}
				vkey, vstamp = k, st
			}
			key, fromCur := vkey, false
			if okC && (!okV || cur.key() <= vkey) {
				key, fromCur = cur.key(), true
			}
			if !strings.HasPrefix(key, opts.Prefix) {
				break
			}
			if !started || key != lastKey {
				started, lastKey = true, key
				firstOfKy = !(st.midKey && key == st.key)
			}
			if opts.Delimiter != "" {
				if cp, isCP := commonPrefix(key, opts.Prefix, opts.Delimiter); isCP {
					if cp != opts.KeyMarker {
						if count == max {
							res.IsTruncated = true
							break
						}
						res.CommonPrefixes = append(res.CommonPrefixes, cp)
						res.NextKeyMarker, res.NextVersionIDMarker = cp, ""
						count++
					}
					past := keyAfterPrefix(cp)
					okC = seekPast(cur, okC, past)
					okV = seekPast(ver, okV, past)
					continue
				}
			}
			if count == max {
				res.IsTruncated = true
				break
			}
			var info ObjectInfo
			if fromCur {
				if info, err = cur.listed(bucket); err != nil {
					return err
				}
				info.IsLatest = true
				okC = cur.next()
			} else {
				if info, err = listedObject(bucket, key, ver.v); err != nil {
					return err
				}
				info.IsLatest = firstOfKy
				if st.midKey && key == st.key {
					info.IsLatest = st.latest && vstamp == st.latestStamp
				}
				okV = ver.next()
			}
			firstOfKy = false
			res.Versions = append(res.Versions, info)
			res.NextKeyMarker, res.NextVersionIDMarker = key, info.VersionID
			count++
		}
		return errors.Join(cur.err(), ver.err())
	})
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextVersionIDMarker = "", ""
	}
	return res, err
}

// versionsPos is where a versions listing starts in each walk: the first
// position at or past each start (the entry equal to it skipped when skip
// is set). midKey is set when the listing starts inside key's versions
// (a version id marker): of its entries only the one with latestStamp,
// when latest is set (the key has no current version), is the latest.
type versionsPos struct {
	objects, versions         []byte
	skipObjects, skipVersions bool
	midKey                    bool
	key                       string
	latest                    bool
	latestStamp               uint64
}

// versionsStart turns the markers into walk positions (see
// ListObjectVersions). No key holds NUL, so a key marker holding one names
// no key: everything from the part before the NUL plus 0x01 is above it.
func versionsStart(tx indexTx, bucketID string, opts ListVersionsOptions) (versionsPos, error) {
	k := opts.KeyMarker
	if k == "" {
		return versionsPos{}, nil
	}
	marker, _, hasNUL := strings.Cut(k, "\x00")
	after := versionsAfterKey(marker)
	p := versionsPos{objects: after, versions: after}
	if opts.VersionIDMarker == "" || hasNUL {
		return p, nil
	}
	id := opts.VersionIDMarker
	cur, err := tx.object(bucketID, marker)
	if err != nil {
		return p, err
	}
	if cur != nil && cur.versionID() == id {
		// After the current version: the key's noncurrent ones.
		p.versions, p.midKey, p.key = pair(marker, ""), true, marker
		return p, nil
	}
	var st uint64
	if id == NullVersion {
		s, ok, err := tx.nullStamp(bucketID, marker)
		if err != nil || !ok {
			return p, err
		}
		st = s
	} else if s, ok := stampOfVersionID(id); ok {
		st = s
	} else {
		return p, nil
	}
	p.versions, p.skipVersions, p.midKey, p.key = versionKey(marker, st), true, true, marker
	if cur == nil {
		nv, err := tx.newestVersion(bucketID, marker)
		if err != nil {
			return p, err
		}
		if nv != nil {
			p.latest, p.latestStamp = true, nv.Stamp
		}
	}
	return p, nil
}

// seekPast moves a walk that is still before past to it. A walk already
// there stays: a walker's Seek to a position not past its current one
// steps forward, which would skip the entry it waits at.
func seekPast(w *objectWalk, ok bool, past []byte) bool {
	if !ok || bytes.Compare(w.k, past) >= 0 {
		return ok
	}
	return w.seek(past)
}

// seekFrom positions a walk at start (skipping an entry equal to it when
// skip is set), or at prefix when that is later; false at the end.
func seekFrom(w *objectWalk, start []byte, skip bool, prefix string) bool {
	if bytes.Compare(start, []byte(prefix)) < 0 {
		return w.seek([]byte(prefix))
	}
	ok := w.seek(start)
	if ok && skip && bytes.Equal(w.k, start) {
		ok = w.next()
	}
	return ok
}
