package auth

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/cofferstore/coffer/internal/kv"
)

// resealBatch is how many credential records one transaction re-seals:
// credential writes and cache fills wait for it (credMu), so it stays short.
const resealBatch = 64

// ReSealSecrets seals every tenant secret not sealed under the ring's
// current key under it, in batches of short transactions, and returns how
// many it re-sealed. The secrets themselves do not change, so key pairs
// keep working throughout. It may be stopped (ctx) and run again: records
// already under the current key are skipped.
func (s *Store) ReSealSecrets(ctx context.Context) (int, error) {
	var after []byte // the last tenant visited; nil before the first
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		done, last, count, err := s.resealBatch(after)
		n += count
		if err != nil || done {
			return n, err
		}
		after = last
	}
}

// resealBatch re-seals up to resealBatch records of tenants after after
// (nil: from the first). It returns the last tenant it visited, and done
// when it reached the end. Each call visits at least one tenant strictly
// after after, or ends the walk, so ReSealSecrets makes progress.
func (s *Store) resealBatch(after []byte) (done bool, last []byte, n int, err error) {
	s.credMu.Lock()
	defer s.credMu.Unlock()
	cur := s.ring.current().ID()
	err = s.update(func(tx kv.Tx) error {
		done, last, n = false, nil, 0
		b, err := bucket(tx, bucketCredentials)
		if err != nil {
			return err
		}
		type change struct {
			tenant []byte
			rec    credentialRecord
		}
		var changes []change
		last, done, err = walkPage(b, after, resealBatch, func(k, v []byte) error {
			var rec credentialRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if rec.KeyID == cur {
				return nil
			}
			secret, err := s.open(string(k), rec)
			if err != nil {
				return err
			}
			if rec.Sealed, rec.KeyID, err = s.seal(string(k), rec.AccessKey, secret); err != nil {
				return err
			}
			changes = append(changes, change{bytes.Clone(k), rec})
			return nil
		})
		if err != nil {
			return err
		}
		// Puts after the walk: a bucket must not change under its cursor.
		for _, ch := range changes {
			if err := putJSON(b, ch.tenant, ch.rec); err != nil {
				return err
			}
		}
		n = len(changes)
		return nil
	})
	if err != nil {
		return false, nil, 0, err
	}
	return done, last, n, nil
}

// SecretsByKey counts the tenant secrets sealed under each master key id
// ("" for secrets sealed before key ids).
func (s *Store) SecretsByKey() (map[string]int, error) {
	var counts map[string]int
	err := s.view(func(tx kv.Tx) error {
		counts = map[string]int{}
		b, err := bucket(tx, bucketCredentials)
		if err != nil {
			return err
		}
		return forEach(b, func(k, v []byte) error {
			var rec credentialRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			counts[rec.KeyID]++
			return nil
		})
	})
	return counts, err
}
