package storage

import "github.com/cofferstore/coffer/pkg/sse"

// KeyRing gives storage the master keys of server-side encryption.
// Current seals the data keys of new objects and uploads; All opens
// existing records and lists every key still usable, the current one
// first (a record names its key by id, so order only saves tries).
// A nil KeyRing means SSE-S3 is unavailable (ErrSSENoMasterKey).
type KeyRing interface {
	Current() *sse.MasterKey
	All() []*sse.MasterKey
}

// StaticKeys is a KeyRing of fixed keys, the first current.
func StaticKeys(keys ...*sse.MasterKey) KeyRing { return staticKeys(keys) }

type staticKeys []*sse.MasterKey

func (k staticKeys) Current() *sse.MasterKey {
	if len(k) == 0 {
		return nil
	}
	return k[0]
}

func (k staticKeys) All() []*sse.MasterKey { return k }
