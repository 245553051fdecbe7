package storage

import (
	"context"
	"strings"
)

// defaultMaxKeys is the page size when ListOptions.MaxKeys <= 0.
const defaultMaxKeys = 1000

// keyAfterPrefix returns a seek key just past every key that starts with p.
// Keys are valid UTF-8, which never holds the byte 0xff.
func keyAfterPrefix(p string) []byte { return append([]byte(p), 0xff) }

// ListObjects returns one page of keys in byte order: a range scan from
// max(Prefix, After) that folds keys sharing a delimiter into common
// prefixes and jumps over each folded range with one seek. A common prefix
// equal to After is not repeated (it ended the previous page). Every step
// of the walk moves forward (see walker), so a page takes at most about
// MaxKeys steps whatever bounds the client chose.
func (s *Store) ListObjects(ctx context.Context, tenant, bucket string, opts ListOptions) (ListResult, error) {
	var res ListResult
	max := opts.MaxKeys
	if max <= 0 {
		max = defaultMaxKeys
	}
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		c := tx.listObjects(b.ID)
		var ok bool
		if opts.After >= opts.Prefix {
			ok = c.seek([]byte(opts.After))
			if ok && c.key() == opts.After {
				ok = c.next()
			}
		} else {
			ok = c.seek([]byte(opts.Prefix))
		}
		count := 0
		for ok {
			key := c.key()
			if !strings.HasPrefix(key, opts.Prefix) {
				break
			}
			if opts.Delimiter != "" {
				if cp, isCP := commonPrefix(key, opts.Prefix, opts.Delimiter); isCP {
					if cp != opts.After {
						if count == max {
							res.IsTruncated = true
							break
						}
						res.CommonPrefixes = append(res.CommonPrefixes, cp)
						res.NextAfter = cp
						count++
					}
					ok = c.seek(keyAfterPrefix(cp))
					continue
				}
			}
			if count == max {
				res.IsTruncated = true
				break
			}
			info, err := c.listed(bucket)
			if err != nil {
				return err
			}
			res.Objects = append(res.Objects, info)
			res.NextAfter = key
			count++
			ok = c.next()
		}
		return c.err()
	})
	if !res.IsTruncated {
		res.NextAfter = ""
	}
	return res, err
}

// commonPrefix returns the part of key up to and including the first
// delimiter after prefix: the CommonPrefix that key rolls up into.
func commonPrefix(key, prefix, delimiter string) (string, bool) {
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delimiter)], true
}
