package kv_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cofferstore/coffer/internal/kv"
)

// model is the expected state: bucket path (joined by "/") -> keys.
// Nested bucket "p/nest" lives under "p": deleting "p" drops it too.
type model map[string]map[string]string

func (m model) clone() model {
	out := model{}
	for b, kvs := range m {
		out[b] = maps.Clone(kvs)
	}
	return out
}

var modelBuckets = [][]string{{"p"}, {"q"}, {"p", "nest"}} // a key may not name a nested bucket (bbolt)

func joinPath(p []string) string {
	s := p[0]
	for _, x := range p[1:] {
		s += "/" + x
	}
	return s
}

func bytesPath(p []string) [][]byte {
	var out [][]byte
	for _, x := range p {
		out = append(out, []byte(x))
	}
	return out
}

// TestModel runs random transactions (puts, deletes, gets, cursor walks
// from random seeks, bucket creates and deletes, some rolled back) on both
// backends and checks every read against a map model, inside transactions
// (read-your-writes) and after them.
func TestModel(t *testing.T) {
	backends(t, func(t *testing.T, db kv.DB) {
		r := rand.New(rand.NewPCG(7, 11))
		keys := []string{"\x00", "a", "a\x00", "a\xff", "b", "ba", "c", "\xff", "\xff\x00"}
		m := model{}
		errRollback := errors.New("rollback")
		for step := range 150 {
			next := m.clone()
			err := db.Update(ctx, func(tx kv.Tx) error {
				next = m.clone()
				for range 1 + r.IntN(6) {
					p := modelBuckets[r.IntN(len(modelBuckets))]
					name := joinPath(p)
					k := keys[r.IntN(len(keys))]
					switch op := r.IntN(10); {
					case op < 3: // put
						b, err := tx.CreateBucketIfNotExists(bytesPath(p)...)
						if err != nil {
							return err
						}
						v := fmt.Sprint(r.IntN(3)) // "0".."2"; "0" stored as empty
						if v == "0" {
							v = ""
						}
						if err := b.Put([]byte(k), []byte(v)); err != nil {
							return err
						}
						for i := range p {
							if next[joinPath(p[:i+1])] == nil {
								next[joinPath(p[:i+1])] = map[string]string{}
							}
						}
						next[name][k] = v
					case op < 5: // delete
						b, err := tx.Bucket(bytesPath(p)...)
						if err != nil {
							return err
						}
						if (b != nil) != (next[name] != nil) {
							return fmt.Errorf("step %d: bucket %s exists=%v, model %v", step, name, b != nil, next[name] != nil)
						}
						if b != nil {
							if err := b.Delete([]byte(k)); err != nil {
								return err
							}
							delete(next[name], k)
						}
					case op < 6: // drop a bucket
						if err := tx.DeleteBucket(bytesPath(p)...); err != nil {
							return err
						}
						for b := range next {
							if b == name || len(b) > len(name) && b[:len(name)+1] == name+"/" {
								delete(next, b)
							}
						}
					case op < 7: // get
						b, err := tx.Bucket(bytesPath(p)...)
						if err != nil || b == nil {
							if (b != nil) != (next[name] != nil) {
								return fmt.Errorf("step %d: bucket %s exists=%v, model %v", step, name, b != nil, next[name] != nil)
							}
							continue
						}
						v, err := b.Get([]byte(k))
						if err != nil {
							return err
						}
						want, ok := next[name][k]
						if (v != nil) != ok || string(v) != want {
							return fmt.Errorf("step %d: Get %s %q = %q (present %v), model %q (present %v)", step, name, k, v, v != nil, want, ok)
						}
					default: // walk from a random seek
						if err := checkWalk(tx, p, next[name], keys[r.IntN(len(keys))]); err != nil {
							return fmt.Errorf("step %d: %w", step, err)
						}
					}
				}
				if r.IntN(8) == 0 {
					return errRollback
				}
				return nil
			})
			switch {
			case errors.Is(err, errRollback):
			case err != nil:
				t.Fatal(err)
			default:
				m = next
			}
			err = db.View(ctx, func(tx kv.Tx) error {
				for _, p := range modelBuckets {
					b, err := tx.Bucket(bytesPath(p)...)
					if err != nil {
						return err
					}
					if (b != nil) != (m[joinPath(p)] != nil) {
						return fmt.Errorf("after step %d: bucket %s exists=%v, model %v", step, joinPath(p), b != nil, m[joinPath(p)] != nil)
					}
					if err := checkWalk(tx, p, m[joinPath(p)], ""); err != nil {
						return fmt.Errorf("after step %d: %w", step, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// checkWalk compares a cursor walk of bucket p from seek with the model.
func checkWalk(tx kv.Tx, p []string, want map[string]string, seek string) error {
	b, err := tx.Bucket(bytesPath(p)...)
	if err != nil || b == nil {
		return err
	}
	var exp []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if k >= seek {
			exp = append(exp, fmt.Sprintf("%q=%q", k, want[k]))
		}
	}
	var got []string
	c := b.Cursor()
	for k, v := c.Seek([]byte(seek)); k != nil; k, v = c.Next() {
		got = append(got, fmt.Sprintf("%q=%q", k, v))
	}
	if err := c.Err(); err != nil {
		return err
	}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		return fmt.Errorf("walk %s from %q: got %v, model %v", joinPath(p), seek, got, exp)
	}
	return nil
}
