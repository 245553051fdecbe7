package auth

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
)

// Audit listing bounds; the log itself keeps Options' max events, dropping the oldest.
const (
	defaultAuditList = 100
	maxAuditList     = 1000
	// auditPage is how many events ListAudit reads at a time, and
	// auditTrimBatch how many old events one Audit deletes at most (a
	// lowered maximum is reached over the next appends, each transaction
	// staying small).
	auditPage      = 128
	auditTrimBatch = 64
)

// AuditEvent records who did what to which tenant's resources, when and
// from where. Never put secrets in it.
type AuditEvent struct {
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Tenant string    `json:"tenant,omitempty"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	// Detail says more about the action, such as what a force delete destroyed.
	Detail   string `json:"detail,omitempty"`
	RemoteIP string `json:"remoteIP,omitempty"`
}

// Audit appends ev to the log (Time defaults to now) and trims the oldest
// events beyond the store's maximum.
func (s *Store) Audit(ev AuditEvent) error {
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	ev.Time = ev.Time.UTC()
	return s.update(func(tx kv.Tx) error {
		b, err := bucket(tx, bucketAudit)
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(b, seqKey(seq), ev); err != nil {
			return err
		}
		max := s.opts.maxAuditEvents
		if seq <= max {
			return nil
		}
		// Trim what is at or below seq-max, oldest first. Keys are
		// collected before deleting: a bucket must not change under its
		// cursor.
		limit := seq - max
		var doomed [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(nil); k != nil && len(doomed) < auditTrimBatch; k, _ = c.Next() {
			n, ok := seqOf(k)
			if !ok {
				continue // not an event; not ours to delete
			}
			if n > limit {
				break
			}
			doomed = append(doomed, bytes.Clone(k))
		}
		if err := c.Err(); err != nil {
			return err
		}
		return deleteKeys(b, doomed)
	})
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// seqOf decodes an audit key; ok is false for a key that is not one.
func seqOf(k []byte) (seq uint64, ok bool) {
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}

// ListAudit returns up to limit events of tenant ("" = all), newest first.
// limit <= 0 means 100; at most 1000 are returned.
//
// kv cursors only walk forward, so the walk goes backward page by page:
// it finds the newest sequence number (auditLast), then reads the
// auditPage sequence numbers below each page, newest page first, until
// it has limit events or reaches the oldest. One snapshot throughout.
func (s *Store) ListAudit(tenant string, limit int) ([]AuditEvent, error) {
	if limit <= 0 {
		limit = defaultAuditList
	}
	limit = min(limit, maxAuditList)
	var out []AuditEvent
	err := s.view(func(tx kv.Tx) error {
		out = nil
		b, err := bucket(tx, bucketAudit)
		if err != nil {
			return err
		}
		c := b.Cursor()
		k, _ := c.Seek(nil)
		first, ok := seqOf(k)
		if !ok {
			return c.Err() // empty (or no readable key)
		}
		top, err := auditLast(c, first, s.opts.maxAuditEvents)
		if err != nil {
			return err
		}
		type entry struct {
			seq uint64
			v   []byte
		}
		page := make([]entry, 0, auditPage)
		for {
			lo := first
			if top-first >= auditPage {
				lo = top - auditPage + 1
			}
			page = page[:0]
			for k, v := c.Seek(seqKey(lo)); k != nil; k, v = c.Next() {
				n, ok := seqOf(k)
				if !ok || n > top {
					break
				}
				page = append(page, entry{n, v})
			}
			if err := c.Err(); err != nil {
				return err
			}
			for i := len(page) - 1; i >= 0 && len(out) < limit; i-- {
				var ev AuditEvent
				if json.Unmarshal(page[i].v, &ev) != nil {
					continue
				}
				if tenant == "" || ev.Tenant == tenant {
					out = append(out, ev)
				}
			}
			if len(out) >= limit || lo == first {
				return nil
			}
			top = lo - 1
		}
	})
	return out, err
}

// auditLast returns the newest sequence number in the audit log, given
// its oldest (first) and about how many events it holds (span): it
// gallops forward by Seek from first, then bisects, about
// 2*log2(span) seeks.
func auditLast(c kv.Cursor, first, span uint64) (uint64, error) {
	lo := first // the sequence number of a key; no key lies at or above hi
	var hi uint64
	step := max(span, 1)
	for {
		probe := lo + step
		if probe < lo { // overflow: bisect up to the top of the range
			hi = math.MaxUint64
			break
		}
		k, _ := c.Seek(seqKey(probe))
		if k == nil {
			if err := c.Err(); err != nil {
				return 0, err
			}
			hi = probe
			break
		}
		n, ok := seqOf(k)
		if !ok {
			hi = probe // beyond the audit keys
			break
		}
		lo, step = n, step*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		k, _ := c.Seek(seqKey(mid))
		if err := c.Err(); err != nil {
			return 0, err
		}
		if n, ok := seqOf(k); ok && n < hi {
			lo = n
		} else {
			hi = mid
		}
	}
	return lo, nil
}
