package kv

import (
	"sort"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Cursor pages: the first page of a walk is small (many walks stop after
// a key or two), later ones larger; never a whole bucket.
const (
	firstPage = 16
	maxPage   = 256
)

// etcdCursor walks a bucket's key range [lo, hi) at the transaction's
// snapshot revision, page by page, merged with the transaction's buffered
// writes. Every walk is recorded as a range read (see Etcd).
type etcdCursor struct {
	t      *etcdTx
	lo, hi string
	cur    string // full key of the current position
	ended  bool
	page   []*mvccpb.KeyValue
	pi     int
	next   string // where the next page starts
	more   bool   // the snapshot may hold keys from next on
	size   int
	span   *span
	err    error
}

func (c *etcdCursor) Err() error { return c.err }

func (c *etcdCursor) Seek(key []byte) ([]byte, []byte) {
	target := c.lo + string(key)
	c.page, c.pi, c.next, c.more, c.ended = nil, 0, target, true, false
	if c.size == 0 {
		c.size = firstPage
	}
	c.span = &span{start: target}
	c.t.ranges = append(c.t.ranges, c.span)
	return c.land(target, true)
}

func (c *etcdCursor) Next() ([]byte, []byte) {
	if c.span == nil {
		return c.Seek(nil)
	}
	if c.ended || c.err != nil {
		return nil, nil
	}
	return c.land(c.cur, false)
}

// land moves to the first visible key at or past from (past only, when
// !incl): the smaller of the snapshot's next key and the next buffered
// put.
func (c *etcdCursor) land(from string, incl bool) ([]byte, []byte) {
	sk, sv, srev, ok := c.snapshot(from, incl)
	if c.err != nil {
		c.ended = true
		return nil, nil
	}
	bk, bv, bok := c.buffered(from, incl)
	switch {
	case bok && (!ok || bk < sk):
		sk, sv = bk, bv
	case ok:
		if sv == nil {
			sv = []byte{}
		}
		c.t.reads[sk], c.t.cache[sk] = srev, sv
	default:
		c.ended = true
		c.span.end = c.hi
		return nil, nil
	}
	c.cur = sk
	c.span.end = sk + "\x00"
	if sv == nil {
		sv = []byte{}
	}
	return []byte(sk[len(c.lo):]), sv
}

// buffered is the first buffered put in range at or past from.
func (c *etcdCursor) buffered(from string, incl bool) (string, []byte, bool) {
	ks := c.t.wkeys
	for i := sort.SearchStrings(ks, from); i < len(ks) && ks[i] < c.hi; i++ {
		k := ks[i]
		if (!incl && k == from) || !strings.HasPrefix(k, c.lo) {
			continue
		}
		if w := c.t.writes[k]; !w.del {
			return k, w.val, true
		}
	}
	return "", nil, false
}

// snapshot is the first snapshot key at or past from that no buffered
// write or bucket drop hides, fetching pages as needed.
func (c *etcdCursor) snapshot(from string, incl bool) (string, []byte, int64, bool) {
	for {
		for ; c.pi < len(c.page); c.pi++ {
			kv := c.page[c.pi]
			k := string(kv.Key)
			if k < from || (!incl && k == from) {
				continue
			}
			if _, hidden := c.t.writes[k]; hidden || c.t.droppedBy(k) {
				continue
			}
			return k, kv.Value, kv.ModRevision, true
		}
		if !c.more {
			return "", nil, 0, false
		}
		c.fetch(from)
		if c.err != nil {
			return "", nil, 0, false
		}
	}
}

func (c *etcdCursor) fetch(from string) {
	start := c.next
	if from > start {
		start = from
	}
	resp, err := c.t.read(start, clientv3.WithRange(c.hi), clientv3.WithLimit(int64(c.size)))
	if err != nil {
		c.err = err
		return
	}
	c.page, c.pi = resp.Kvs, 0
	c.more = resp.More && len(resp.Kvs) > 0
	if c.more {
		c.next = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	c.size = min(c.size*4, maxPage)
}
