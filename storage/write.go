package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// pendingData is an erasure-coded body written to the drives but not yet
// committed to the index. Its id is pinned (pinID) until commit or abort so
// the scrubber does not mistake it for an orphan.
type pendingData struct {
	ref     dataRef
	dig     digests
	inline  [][]byte   // per-drive shard streams when ref.Inline
	files   []TempFile // per-drive shard files otherwise
	failed  []error    // per drive; non-nil drives are left out
	written bool       // files renamed into place
}

func (s *Store) liveCount(failed []error) int {
	n := 0
	for _, e := range failed {
		if e == nil {
			n++
		}
	}
	return n
}

// quorumError is ErrDiskFull when a drive ran out of space, else ErrQuorum.
func (s *Store) quorumError(failed []error) error {
	for _, e := range failed {
		if errors.Is(e, ErrDiskFull) {
			return fmt.Errorf("%w (write quorum %d not reached)", ErrDiskFull, s.writeQuorum())
		}
	}
	var first error
	for _, e := range failed {
		if e != nil {
			first = e
			break
		}
	}
	return fmt.Errorf("%w: %d of %d drives failed, write quorum is %d (first error: %v)",
		ErrQuorum, len(failed)-s.liveCount(failed), len(failed), s.writeQuorum(), first)
}

// writeData streams body onto the drives as temporary shard files (or keeps
// small bodies in memory for inlining) and verifies size and digests. Once
// it has pinned an id it returns the pending data even with an error: the
// caller (stageBody) aborts it.
func (s *Store) writeData(ctx context.Context, body io.Reader, opts PutOptions) (*pendingData, error) {
	br, err := newBodyReader(body, opts)
	if err != nil {
		return nil, err
	}
	defer br.close()
	// An encrypted body: br reads the plaintext (size, digests) and the
	// shards get the ciphertext of it, read through a raw bodyReader.
	var plain *bodyReader
	if opts.cipher != nil {
		plain = br
		enc, err := opts.cipher.NewEncryptingReader(&plainSource{b: plain})
		if err != nil {
			return nil, err
		}
		size := int64(-1)
		if opts.Size >= 0 {
			size = opts.cipher.EncryptedSize(opts.Size)
		}
		br = &bodyReader{r: enc, remaining: size}
		opts.Size = size
	}
	c, err := getCodec(s.data, s.parity, s.blockSize, s.shardAlign)
	if err != nil {
		return nil, err
	}
	id := newDataID()
	s.pinID(id)
	p := &pendingData{
		ref:    dataRef{ID: id, Data: s.data, Parity: s.parity, BlockSize: s.blockSize},
		failed: make([]error, len(s.drives)),
	}
	buf := c.getBufFor(opts.Size) // a small body's fits in the small pool's block
	defer c.putBuf(buf)

	n, done, inPlace, err := c.readFirst(br, buf)
	if err != nil {
		return p, err
	}
	if done && n <= inlineMax {
		p.ref.Inline = true
		p.inline = make([][]byte, len(s.drives))
		if n > 0 {
			var frames [][]byte
			if inPlace {
				frames, err = c.encodeFull(buf)
			} else {
				frames, err = c.encode(buf, n)
			}
			if err != nil {
				return p, err
			}
			for i, f := range frames {
				p.inline[i] = append([]byte(nil), f...)
			}
		}
	} else {
		p.ref.Align = s.shardAlign
		p.files = make([]TempFile, len(s.drives))
		s.parallel(func(i int) {
			p.files[i], p.failed[i] = s.drives[i].CreateShard(id + ".shard")
			s.drives[i].noteError(p.failed[i])
		})
		if err := s.writeBlocks(ctx, c, br, p, buf, n, done, inPlace); err != nil {
			return p, err
		}
	}
	if plain != nil {
		p.dig, err = plain.verify(opts)
		p.ref.Size, p.ref.PlainSize = br.n, p.dig.size
	} else {
		p.dig, err = br.verify(opts)
		p.ref.Size = p.dig.size
	}
	return p, err
}

// readFirst reads a body's first block. Into a full buffer it reads
// straight into the data shards, as writeBlocks' reader does with the
// following blocks: a full block is then encoded in place (inPlace), and
// the buffer's 1 MiB block area, whose pages are only touched when used,
// stays out of RSS; a shorter one is gathered into the block area first.
// A small buffer's block area holds the whole body.
func (c *codec) readFirst(br *bodyReader, buf *codecBuf) (n int, done, inPlace bool, err error) {
	if buf.pool != c.full {
		n, done, err = br.readBlock(buf.block)
		return n, done, false, err
	}
	n, done, err = br.readBlockv(c.dataSegs(buf))
	if n < c.blockSize && err == nil {
		c.gather(buf, n)
	}
	return n, done, n == c.blockSize, err
}

// filledBlock is a block read (and hashed) by writeBlocks' reader.
type filledBlock struct {
	buf     *codecBuf
	n       int
	done    bool
	err     error
	inPlace bool // read into the data shards (a full block): no copy
}

// writeBlocks encodes and writes the body's blocks to p's shard files,
// starting with first (n bytes, already read). It is a two-stage pipeline:
// a reader goroutine reads and hashes block k+1 (bodyReader computes MD5
// and the checksum) while this goroutine erasure-codes and writes block k.
// At most two block buffers per upload are in use, both from the codec's
// pool. The reader has stopped when writeBlocks returns, so the body is
// never touched after it.
func (s *Store) writeBlocks(ctx context.Context, c *codec, br *bodyReader, p *pendingData, first *codecBuf, n int, done, inPlace bool) error {
	if done {
		return s.writeBlock(c, p, first, n, inPlace)
	}
	free := make(chan *codecBuf, 2)
	full := make(chan filledBlock, 2)
	free <- c.getBuf()
	go func() {
		defer close(full)
		for b := range free {
			n, done, err := br.readBlockv(c.dataSegs(b))
			if n < c.blockSize && err == nil {
				c.gather(b, n)
			}
			full <- filledBlock{buf: b, n: n, done: done, err: err, inPlace: n == c.blockSize}
			if done || err != nil {
				return
			}
		}
	}()
	cur := first // owned by the caller
	defer func() {
		close(free)
		for f := range full {
			if f.buf != first {
				c.putBuf(f.buf)
			}
		}
		for b := range free {
			if b != first {
				c.putBuf(b)
			}
		}
		if cur != first && cur != nil {
			c.putBuf(cur)
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.writeBlock(c, p, cur, n, inPlace); err != nil {
			return err
		}
		if done {
			return nil
		}
		free <- cur
		cur = nil
		f, ok := <-full
		if !ok {
			return errors.New("storage: body reader stopped")
		}
		cur = f.buf
		if f.err != nil {
			return f.err
		}
		n, done, inPlace = f.n, f.done, f.inPlace
		if n == 0 && done {
			return nil
		}
	}
}

// writeBlock encodes block buf.block[:n] (inPlace: the full block already
// in buf's data shards) and appends its padded frames to the live drives'
// shard files, one aligned write each straight from buf; below write
// quorum it fails.
func (s *Store) writeBlock(c *codec, p *pendingData, buf *codecBuf, n int, inPlace bool) error {
	var frames [][]byte
	var err error
	if inPlace {
		frames, err = c.encodeFull(buf)
	} else {
		frames, err = c.encode(buf, n)
	}
	if err != nil {
		return err
	}
	s.parallel(func(i int) {
		if p.failed[i] != nil {
			return
		}
		if _, err := p.files[i].Write(c.padFrame(frames[i])); err != nil {
			p.failed[i] = err
			s.drives[i].noteError(err)
			p.files[i].Abort()
			p.files[i] = nil
		}
	})
	if s.liveCount(p.failed) < s.writeQuorum() {
		return s.quorumError(p.failed)
	}
	return nil
}

func (s *Store) persistDrive(p *pendingData, i int, h *metaHeader) error {
	d := s.drives[i]
	var inline []byte
	if p.ref.Inline {
		inline = p.inline[i]
	}
	raw, err := encodeMeta(h, inline)
	if err != nil {
		return err
	}
	mf, err := d.Create(p.ref.ID + ".meta")
	if err != nil {
		if p.files != nil && p.files[i] != nil {
			p.files[i].Abort()
		}
		return err
	}
	if _, err := mf.Write(raw); err != nil {
		mf.Abort()
		if p.files != nil && p.files[i] != nil {
			p.files[i].Abort()
		}
		return err
	}
	if p.files != nil && p.files[i] != nil {
		if err := p.files[i].Sync(); err != nil {
			p.files[i].Abort()
			mf.Abort()
			return err
		}
		if err := p.files[i].Commit(); err != nil {
			mf.Abort()
			return err
		}
	}
	if err := mf.Sync(); err != nil {
		mf.Abort()
		return err
	}
	if err := mf.Commit(); err != nil {
		return err
	}
	return d.SyncDir(p.ref.ID + ".meta")
}
