package storage

import (
	"sync"
	"time"
)

// DefaultHedgeAfter is Config.HedgeAfter's default: well above a remote
// shard read on a LAN (milliseconds), well below the drive protocol's 30 s
// call deadline a slow node would otherwise cost every read.
const DefaultHedgeAfter = 300 * time.Millisecond

// slowFor is how long a drive that kept a read waiting past HedgeAfter is
// read only when no other drive will do.
const slowFor = 5 * time.Second

// hedgeable reports whether any data shard of a read lives on another
// node's drive; only such reads take readHedged (a single node's reads
// keep readShards, unchanged).
func (s *Store) hedgeable(data int) bool {
	for i := 0; i < data && i < len(s.hedge); i++ {
		if s.hedge[i] {
			return true
		}
	}
	return false
}

func (s *Store) slow(i int) bool { return time.Now().UnixNano() < s.slowUntil[i].Load() }

// markSlow passes drive i over for slowFor (see readHedged).
func (s *Store) markSlow(i int) { s.slowUntil[i].Store(time.Now().Add(slowFor).UnixNano()) }

// privBufs are remote shard reads' own buffers (readHedged). A buffer
// goes back only once its read is done and copied; one whose read was
// left running is left to the collector.
var privBufs sync.Pool

func getPriv(n int) []byte {
	if b, ok := privBufs.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]byte, n)
}

func putPriv(b []byte) { privBufs.Put(&b) }

// shardResult is one shard read of readHedged.
type shardResult struct {
	i    int
	ok   bool
	priv []byte // a remote read's own buffer; nil: read into the codecBuf
}

// readHedged reads block b's shards for a read (not heal) when some of
// them live on other nodes: data shards first, as readShards does, but a
// remote shard that has not arrived after Config.HedgeAfter is not waited
// for: a parity shard is read in its place for each one still missing,
// and whichever shards arrive first decode the block (reconstructing the
// data shards left out). Every further HedgeAfter without enough shards
// hedges again, while shards are left to read, so a hedge that lands on
// another slow drive is not waited for either. Drives that kept a read waiting are passed over
// for slowFor while others can serve. A remote read goes into a buffer of
// its own, so one left running never writes into buf after the block is
// decoded; local reads write into buf and are always waited for. A shard
// left out is not bad (d.bad): slowness is not damage to heal. It reports
// how many good shards it has and whether data shards must be
// reconstructed.
func (p *partSource) readHedged(b int64, buf *codecBuf, d *decodedBlock, ss, flen int) (good int, missing bool) {
	c, s := p.codec, p.s
	total := c.data + c.parity
	results := make(chan shardResult, total) // buffered: a read left running never blocks
	launched := make([]bool, total)
	pendingLocal, pendingRemote := 0, 0
	launch := func(i int) {
		launched[i] = true
		remote := s.hedge[i]
		if remote {
			pendingRemote++
		} else {
			pendingLocal++
		}
		go func() {
			f := buf.frames[i][:flen]
			var priv []byte
			if remote {
				priv = getPriv(flen)
				f = priv
			}
			ok := p.frame(i, b, f) == nil && verifyFrame(f[:hashSize+ss])
			results <- shardResult{i: i, ok: ok, priv: priv}
		}()
	}
	// next launches the next shard not yet read: data shards before
	// parity, drives not marked slow before slow ones.
	next := func() bool {
		for _, passOverSlow := range []bool{true, false} {
			for i := range total {
				if !launched[i] && !(passOverSlow && s.slow(i)) {
					launch(i)
					return true
				}
			}
		}
		return false
	}
	for range c.data {
		next()
	}
	timer := time.NewTimer(s.cfg.HedgeAfter)
	defer timer.Stop()
	for good < c.data {
		if pendingLocal+pendingRemote == 0 {
			if !next() {
				break
			}
			continue
		}
		var r shardResult
		select {
		case r = <-results:
		case <-timer.C:
			// Hedge: one more shard for each remote read still out;
			// mark their drives slow for the reads that follow.
			for i := range total {
				if launched[i] && s.hedge[i] && d.shards[i] == nil && !d.bad[i] {
					s.markSlow(i)
				}
			}
			for k := pendingRemote; k > 0 && next(); k-- {
			}
			// And again after another HedgeAfter: a hedge may land on
			// a drive as slow as the one it stands in for.
			timer.Reset(s.cfg.HedgeAfter)
			continue
		}
		if s.hedge[r.i] {
			pendingRemote--
		} else {
			pendingLocal--
		}
		if !r.ok {
			d.bad[r.i] = true
			if r.priv != nil {
				putPriv(r.priv)
			}
			continue
		}
		if r.priv != nil {
			copy(buf.frames[r.i][:flen], r.priv)
			putPriv(r.priv)
		}
		d.shards[r.i] = buf.frames[r.i][hashSize : hashSize+ss]
		good++
	}
	// Local reads still out write into buf: wait for them (they are
	// not what is slow). Remote ones are left to finish into their own
	// buffers.
	for pendingLocal > 0 {
		if r := <-results; !s.hedge[r.i] {
			pendingLocal--
		}
	}
	for i := range c.data {
		if d.shards[i] == nil {
			missing = true
		}
	}
	return good, missing
}
