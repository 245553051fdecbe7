package kv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Etcd is the etcd backend: every bucket and key lives under one key
// prefix of an etcd cluster, so several stores (the storage index, the
// auth store) share one cluster.
//
// Key layout under the prefix: a bucket path is its segments, each 'b', a
// 4-byte big-endian length and the name; after a bucket's path one tag
// byte says what follows: 'm' the bucket's marker (its existence), 's'
// its NextSequence counter, 'k' and a key one of its keys, 'b' a nested
// bucket. Length prefixes make the encoding unambiguous, so a bucket and
// everything nested in it are exactly the keys starting with its path
// (DeleteBucket is one range delete) and a bucket's keys are one range
// ('k' up to 'l') holding nothing else, in the bucket's byte order.
//
// Transactions are optimistic and serializable. All reads of a
// transaction see one etcd revision (the first read's); writes are
// buffered (Get and cursors see them) and commit as one etcd Txn that
// applies them only if nothing the transaction read changed since that
// revision: every key read compares its ModRevision with the one seen (0:
// absent), and every range a cursor walked compares "no key modified
// after the snapshot" over the range (which catches insertions) beside the
// point compares of the keys it saw (which catch deletions). When a
// compare fails, fn runs again on a fresh snapshot, up to MaxAttempts
// times with jittered backoff. A transaction that wrote nothing commits
// nothing.
//
// Limits: etcd counts compares and operations of one Txn against the
// server's --max-txn-ops (128 by default) and the request against
// --max-request-bytes (1.5 MiB by default; the client sends at most 2
// MiB). A transaction that reads or writes more fails with ErrTooLarge
// (wrapping the server's error, with its counts); Batch splits a shared
// transaction that is too large. One object commit of the storage index
// compares and writes a few dozen keys, so run etcd with --max-txn-ops
// raised (kvtest uses 16384) for it.
type Etcd struct {
	cli    *clientv3.Client
	prefix string
	// Timeout bounds each etcd call whose context has no deadline.
	Timeout time.Duration
	// MaxAttempts bounds the runs of an Update function that keeps
	// conflicting with other writers.
	MaxAttempts int
	batch       etcdBatcher
	commits     atomic.Uint64
	conflicts   atomic.Uint64
	// stale is set while etcd answers no linearizable read (no quorum):
	// Views then read serializably (see View) until a probe gets a
	// linearizable answer again.
	stale atomic.Bool
}

// Stats are counts since NewEtcd: transactions committed (with writes)
// and runs that lost to a concurrent writer and ran again.
func (e *Etcd) Stats() (commits, conflicts uint64) {
	return e.commits.Load(), e.conflicts.Load()
}

// NewEtcd returns a DB keeping its keys under prefix in the cluster cli
// talks to. Close does not close cli.
func NewEtcd(cli *clientv3.Client, prefix string) *Etcd {
	e := &Etcd{cli: cli, prefix: prefix, Timeout: 10 * time.Second, MaxAttempts: 200}
	e.batch.db = e
	e.batch.calls.Run = e.batch.run
	return e
}

// Close does nothing: the client belongs to the caller.
func (e *Etcd) Close() error { return nil }

// ErrConflict is returned (wrapped) when an Update kept conflicting with
// other writers for MaxAttempts runs.
var ErrConflict = errors.New("kv: transaction kept conflicting with concurrent writers")

// View reads linearizably: what any node committed before it began. When
// etcd cannot answer so (no quorum), View falls back to a serializable
// read of the member the client reaches, which serves the committed state
// it has: reads of committed objects go on while writes fail with
// Unavailable. The fallback holds (no waiting per View) until a
// background probe gets a linearizable answer again. fn runs a second
// time only when its first run got no data at all (its first read
// failed), so it has nothing to reset.
func (e *Etcd) View(ctx context.Context, fn func(Tx) error) error {
	if !e.stale.Load() {
		t := e.newTx(ctx, false)
		err := fn(t)
		if err == nil || t.rev != 0 || !errors.Is(err, Unavailable) || ctx.Err() != nil || e.cli.Ctx().Err() != nil {
			return err
		}
		if e.stale.CompareAndSwap(false, true) {
			go e.probeQuorum()
		}
	}
	t := e.newTx(ctx, false)
	t.serializable = true
	return fn(t)
}

// probeQuorum clears stale once a linearizable read succeeds, trying every
// second until then or until the client closes.
func (e *Etcd) probeQuorum() {
	for e.cli.Ctx().Err() == nil {
		ctx, cancel := context.WithTimeout(e.cli.Ctx(), 2*time.Second)
		_, err := e.cli.Get(ctx, e.prefix, clientv3.WithCountOnly())
		cancel()
		if err == nil || !isUnavailable(err) {
			e.stale.Store(false)
			return
		}
		select {
		case <-e.cli.Ctx().Done():
		case <-time.After(time.Second):
		}
	}
}

func (e *Etcd) Update(ctx context.Context, fn func(Tx) error) error {
	return e.update(ctx, func(t *etcdTx) error { return fn(t) })
}

// update runs fn in fresh transactions until one commits, fn fails, or
// the attempts run out.
func (e *Etcd) update(ctx context.Context, fn func(*etcdTx) error) error {
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		t := e.newTx(ctx, true)
		if err := fn(t); err != nil {
			return err
		}
		ok, err := t.commit()
		if err != nil || ok {
			return err
		}
		e.conflicts.Add(1)
		if attempt >= e.MaxAttempts {
			return fmt.Errorf("%w (%d attempts)", ErrConflict, attempt)
		}
		sleep := time.Duration(rand.Int64N(int64(backoff)) + 1)
		backoff = min(backoff*2, 64*time.Millisecond)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
	}
}

// Batch shares one transaction among concurrent callers (see
// etcdBatcher).
func (e *Etcd) Batch(ctx context.Context, fn func(Tx) error) error {
	return e.batch.do(ctx, fn)
}

// ErrTooLarge is returned (wrapped) for a commit etcd refuses for its
// size: more compares or operations than --max-txn-ops, or more bytes
// than --max-request-bytes (or the client's 2 MiB send limit).
var ErrTooLarge = errors.New("kv: transaction too large for etcd")

func tooLarge(err error) bool {
	if errors.Is(err, rpctypes.ErrTooManyOps) || errors.Is(err, rpctypes.ErrRequestTooLarge) {
		return true
	}
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.ResourceExhausted
}

// unavailable wraps err with Unavailable when it means the cluster cannot
// be reached or has no quorum.
func (e *Etcd) unavailable(err error) error {
	if err == nil || errors.Is(err, Unavailable) {
		return err
	}
	if isUnavailable(err) || e.cli.Ctx().Err() != nil {
		return fmt.Errorf("%w: %w", Unavailable, err)
	}
	return err
}

func isUnavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, clientv3.ErrNoAvailableEndpoints) {
		return true
	}
	switch rpctypes.Error(err) {
	case rpctypes.ErrNoLeader, rpctypes.ErrTimeout, rpctypes.ErrTimeoutDueToLeaderFail,
		rpctypes.ErrTimeoutDueToConnectionLost, rpctypes.ErrLeaderChanged, rpctypes.ErrNotCapable,
		rpctypes.ErrStopped, rpctypes.ErrTimeoutWaitAppliedIndex:
		return true
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.Unavailable, codes.DeadlineExceeded:
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "no leader") || strings.Contains(msg, "request timed out") ||
		strings.Contains(msg, "client connection is closing")
}

// call bounds one etcd call: ctx's deadline, or Timeout when it has none.
func (e *Etcd) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, e.Timeout)
}

// bucketKey is the encoded path of a bucket under the prefix.
func (e *Etcd) bucketKey(path [][]byte) []byte {
	n := len(e.prefix)
	for _, p := range path {
		n += 5 + len(p)
	}
	k := make([]byte, 0, n+1)
	k = append(k, e.prefix...)
	for _, p := range path {
		k = append(k, 'b')
		k = binary.BigEndian.AppendUint32(k, uint32(len(p)))
		k = append(k, p...)
	}
	return k
}

func tagged(base []byte, tag byte) string {
	return string(append(base[:len(base):len(base)], tag))
}

// write is one buffered write: a put, or a delete when del.
type write struct {
	val []byte
	del bool
}

type etcdTx struct {
	e        *Etcd
	ctx      context.Context
	writable bool
	// serializable reads answer from the reached member without a quorum
	// round (View's fallback, see View).
	serializable bool
	rev          int64             // snapshot revision; 0 before the first read
	reads        map[string]int64  // key -> ModRevision seen (0: absent)
	cache        map[string][]byte // key -> value at the snapshot (nil: absent)
	ranges       []*span           // key ranges cursors walked
	writes       map[string]write
	wkeys        []string // keys of writes, sorted
	dropped      []string // prefixes deleted (DeleteBucket), in order
}

// span is a walked range [start, end); end "" while nothing was walked.
type span struct{ start, end string }

func (e *Etcd) newTx(ctx context.Context, writable bool) *etcdTx {
	return &etcdTx{e: e, ctx: ctx, writable: writable, reads: map[string]int64{}, cache: map[string][]byte{}, writes: map[string]write{}}
}

// droppedBy reports whether key lies under a prefix deleted in this
// transaction (and not written since: writes are looked up first).
func (t *etcdTx) droppedBy(key string) bool {
	for _, p := range t.dropped {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// read is one Get of the transaction, at its snapshot revision once it
// has one (the first read's). A read at a known revision needs no quorum
// round: the revision is committed and immutable, so the member the
// client reaches serves it locally (serializable), as fast as a read of
// its own state. A member that has not applied that revision yet (another
// endpoint than the first read's) answers ErrFutureRev, and the read is
// made again linearizably. View's fallback without quorum reads
// serializably throughout.
func (t *etcdTx) read(key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	ctx, cancel := t.e.call(t.ctx)
	defer cancel()
	base := slices.Clip(opts)
	if t.rev != 0 {
		base = append(base, clientv3.WithRev(t.rev))
	}
	if t.serializable || t.rev != 0 {
		opts = append(slices.Clip(base), clientv3.WithSerializable())
	} else {
		opts = base
	}
	resp, err := t.e.cli.Get(ctx, key, opts...)
	if err != nil && !t.serializable && t.rev != 0 && rpctypes.Error(err) == rpctypes.ErrFutureRev {
		resp, err = t.e.cli.Get(ctx, key, base...)
	}
	if err != nil {
		return nil, t.e.unavailable(err)
	}
	if t.rev == 0 {
		t.rev = resp.Header.Revision
	}
	return resp, nil
}

// get reads key: the buffered write, or the snapshot.
func (t *etcdTx) get(key string) ([]byte, error) {
	if w, ok := t.writes[key]; ok {
		if w.del {
			return nil, nil
		}
		return w.val, nil
	}
	if t.droppedBy(key) {
		return nil, nil
	}
	if v, ok := t.cache[key]; ok {
		return v, nil
	}
	resp, err := t.read(key)
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) == 0 {
		t.reads[key], t.cache[key] = 0, nil
		return nil, nil
	}
	kv := resp.Kvs[0]
	v := kv.Value
	if v == nil {
		v = []byte{}
	}
	t.reads[key], t.cache[key] = kv.ModRevision, v
	return v, nil
}

func (t *etcdTx) put(key string, val []byte) error {
	if !t.writable {
		return errors.New("kv: put in a read-only transaction")
	}
	if _, ok := t.writes[key]; !ok {
		i := sort.SearchStrings(t.wkeys, key)
		t.wkeys = append(t.wkeys, "")
		copy(t.wkeys[i+1:], t.wkeys[i:])
		t.wkeys[i] = key
	}
	t.writes[key] = write{val: bytes.Clone(val)}
	if t.writes[key].val == nil {
		t.writes[key] = write{val: []byte{}}
	}
	return nil
}

func (t *etcdTx) del(key string) error {
	if !t.writable {
		return errors.New("kv: delete in a read-only transaction")
	}
	if t.droppedBy(key) {
		if _, ok := t.writes[key]; !ok {
			return nil
		}
	}
	if _, ok := t.writes[key]; !ok {
		i := sort.SearchStrings(t.wkeys, key)
		t.wkeys = append(t.wkeys, "")
		copy(t.wkeys[i+1:], t.wkeys[i:])
		t.wkeys[i] = key
	}
	t.writes[key] = write{del: true}
	return nil
}

// dropPrefix deletes every key starting with p.
func (t *etcdTx) dropPrefix(p string) {
	lo := sort.SearchStrings(t.wkeys, p)
	hi := lo
	for hi < len(t.wkeys) && strings.HasPrefix(t.wkeys[hi], p) {
		delete(t.writes, t.wkeys[hi])
		hi++
	}
	t.wkeys = append(t.wkeys[:lo], t.wkeys[hi:]...)
	t.dropped = append(t.dropped, p)
}

func (t *etcdTx) Bucket(path ...[]byte) (Bucket, error) {
	if len(path) == 0 {
		return nil, errors.New("kv: empty bucket path")
	}
	base := t.e.bucketKey(path)
	v, err := t.get(tagged(base, 'm'))
	if err != nil || v == nil {
		return nil, err
	}
	return &etcdBucket{t: t, base: base}, nil
}

func (t *etcdTx) CreateBucketIfNotExists(path ...[]byte) (Bucket, error) {
	if len(path) == 0 {
		return nil, errors.New("kv: empty bucket path")
	}
	if !t.writable {
		return nil, errors.New("kv: create bucket in a read-only transaction")
	}
	for _, p := range path {
		if len(p) == 0 {
			return nil, errors.New("kv: empty bucket name")
		}
	}
	// Read before writing the markers: a marker put blindly by every
	// write would conflict with every transaction that read it.
	for i := range path {
		m := tagged(t.e.bucketKey(path[:i+1]), 'm')
		v, err := t.get(m)
		if err != nil {
			return nil, err
		}
		if v == nil {
			if err := t.put(m, nil); err != nil {
				return nil, err
			}
		}
	}
	return &etcdBucket{t: t, base: t.e.bucketKey(path)}, nil
}

func (t *etcdTx) DeleteBucket(path ...[]byte) error {
	if len(path) == 0 {
		return errors.New("kv: empty bucket path")
	}
	if !t.writable {
		return errors.New("kv: delete bucket in a read-only transaction")
	}
	t.dropPrefix(string(t.e.bucketKey(path)))
	return nil
}

// commit sends the transaction's writes guarded by its reads; false when
// a compare failed (another writer changed what it read).
func (t *etcdTx) commit() (bool, error) {
	if len(t.writes) == 0 && len(t.dropped) == 0 {
		return true, nil
	}
	var cmps []clientv3.Cmp
	for k, rev := range t.reads {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", rev))
	}
	for _, s := range t.ranges {
		if s.end != "" {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.start).WithRange(s.end), "<", t.rev+1))
		}
	}
	var ops []clientv3.Op
	for _, p := range outermost(t.dropped) {
		// etcd refuses a Txn whose put lies in one of its range deletes:
		// the range is deleted around the keys written after the drop.
		from, end := p, prefixEnd(p)
		for _, k := range t.wkeys[sort.SearchStrings(t.wkeys, p):] {
			if !strings.HasPrefix(k, p) {
				break
			}
			if !t.writes[k].del {
				if from < k {
					ops = append(ops, clientv3.OpDelete(from, clientv3.WithRange(k)))
				}
				from = k + "\x00"
			}
		}
		ops = append(ops, clientv3.OpDelete(from, clientv3.WithRange(end)))
	}
	for _, k := range t.wkeys {
		w := t.writes[k]
		switch {
		case !w.del:
			ops = append(ops, clientv3.OpPut(k, string(w.val)))
		case !t.droppedBy(k):
			ops = append(ops, clientv3.OpDelete(k))
		}
	}
	ctx, cancel := t.e.call(t.ctx)
	defer cancel()
	resp, err := t.e.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		if tooLarge(err) {
			return false, fmt.Errorf("%w: %d compares and %d operations (etcd's --max-txn-ops and --max-request-bytes bound them): %w", ErrTooLarge, len(cmps), len(ops), err)
		}
		return false, t.e.unavailable(err)
	}
	if resp.Succeeded {
		t.e.commits.Add(1)
	}
	return resp.Succeeded, nil
}

// outermost returns the prefixes not inside another one.
func outermost(ps []string) []string {
	var out []string
	for i, p := range ps {
		inside := false
		for j, q := range ps {
			if j != i && strings.HasPrefix(p, q) && (p != q || j < i) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, p)
		}
	}
	return out
}

// prefixEnd is the first key after every key starting with p (p is never
// empty: it holds the store's prefix and a bucket path).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00" // every key (etcd's convention for "to the end")
}

type etcdBucket struct {
	t    *etcdTx
	base []byte // the bucket's encoded path
}

func (b *etcdBucket) key(k []byte) string {
	return tagged(b.base, 'k') + string(k)
}

func (b *etcdBucket) Get(key []byte) ([]byte, error) { return b.t.get(b.key(key)) }

func (b *etcdBucket) Put(key, value []byte) error {
	if len(key) == 0 {
		return errors.New("kv: empty key")
	}
	return b.t.put(b.key(key), value)
}

func (b *etcdBucket) Delete(key []byte) error { return b.t.del(b.key(key)) }

func (b *etcdBucket) NextSequence() (uint64, error) {
	k := tagged(b.base, 's')
	v, err := b.t.get(k)
	if err != nil {
		return 0, err
	}
	var n uint64
	if len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	} else if v != nil {
		return 0, fmt.Errorf("kv: sequence of %d bytes", len(v))
	}
	n++
	return n, b.t.put(k, binary.BigEndian.AppendUint64(nil, n))
}

func (b *etcdBucket) Cursor() Cursor {
	return &etcdCursor{t: b.t, lo: tagged(b.base, 'k'), hi: tagged(b.base, 'l')}
}
