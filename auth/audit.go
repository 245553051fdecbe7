package auth

import (
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Audit listing bounds; the log itself keeps Options' max events, dropping the oldest.
const (
	defaultAuditList = 100
	maxAuditList     = 1000
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

// Audit appends ev to the log (Time defaults to now).
func (s *Store) Audit(ev AuditEvent) error {
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	ev.Time = ev.Time.UTC()
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
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
		// Trim everything at or below seq-max.
		limit := seq - max
		c := b.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= limit; k, _ = c.First() {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// ListAudit returns up to limit events of tenant ("" = all), newest first.
// limit <= 0 means 100; at most 1000 are returned.
func (s *Store) ListAudit(tenant string, limit int) ([]AuditEvent, error) {
	if limit <= 0 {
		limit = defaultAuditList
	}
	limit = min(limit, maxAuditList)
	var out []AuditEvent
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var ev AuditEvent
			if err := json.Unmarshal(v, &ev); err != nil {
				continue
			}
			if tenant == "" || ev.Tenant == tenant {
				out = append(out, ev)
			}
		}
		return nil
	})
	return out, err
}
