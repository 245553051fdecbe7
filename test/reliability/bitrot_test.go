package reliability

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// damage is one corrupted shard file and its pristine bytes.
type damage struct {
	path, kind string
	orig       []byte
}

// dataIDs lists the data ids stored on a drive (from <drive>/data/xx/<id>.meta).
func dataIDs(t *testing.T, drive string) []string {
	t.Helper()
	metas, err := filepath.Glob(filepath.Join(drive, "data", "*", "*.meta"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range metas {
		ids = append(ids, strings.TrimSuffix(filepath.Base(m), ".meta"))
	}
	sort.Strings(ids)
	return ids
}

// corrupt damages the shards of ids on up to maxDrives drives each: flips
// bytes, truncates or deletes the shard file (or the .meta of an inlined
// object), and returns what it did.
func corrupt(t *testing.T, r *rand.Rand, drives []string, ids []string, maxDrives int) []damage {
	t.Helper()
	var out []damage
	for n, id := range ids {
		perm := r.Perm(len(drives))[:1+r.IntN(maxDrives)]
		for _, di := range perm {
			base := filepath.Join(drives[di], "data", id[:2], id)
			path := base + ".shard"
			if _, err := os.Stat(path); err != nil {
				path = base + ".meta"
			}
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read %s: %v", path, err)
			}
			kind := []string{"flip", "truncate", "delete"}[(n+di)%3]
			switch kind {
			case "flip":
				b := bytes.Clone(orig)
				for k := 0; k < 3; k++ {
					b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
				}
				err = os.WriteFile(path, b, 0o600)
			case "truncate":
				err = os.Truncate(path, int64(len(orig)/2))
			case "delete":
				err = os.Remove(path)
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, damage{path: path, kind: kind, orig: orig})
		}
	}
	return out
}

// checkRestored asserts every damaged file is back, byte-identical.
func checkRestored(t *testing.T, dmg []damage) {
	t.Helper()
	for _, d := range dmg {
		got, err := os.ReadFile(d.path)
		if err != nil {
			t.Errorf("%s (%s): not restored: %v", d.path, d.kind, err)
			continue
		}
		if !bytes.Equal(got, d.orig) {
			t.Errorf("%s (%s): restored %d bytes differ from the %d original", d.path, d.kind, len(got), len(d.orig))
		}
	}
}

// TestBitrotScrubHeals flips bytes in, truncates and deletes shard files of
// random objects (at most parity per object). Reads return the right bytes;
// the scrubber finds every damaged shard and rewrites it byte-identical
// within a bounded time, both after reads (which queue repairs) and for
// damage nobody read.
func TestBitrotScrubHeals(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 3))
	t.Logf("seed %d", seed)
	srv := startCoffer(t, 6, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("bitrot")
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("rot")}); err != nil {
		t.Fatal(err)
	}
	led := newLedger()
	for i := 0; i < 48; i++ {
		size := 1 + r.IntN(100<<10) // inlined in .meta
		if i%2 == 1 {
			size = 200<<10 + r.IntN(2<<20) // .shard streams, one or more blocks
		}
		body, v := makeBody(r, size)
		if err := led.putObject(c, "rot", fmt.Sprintf("obj/%02d", i), body, v); err != nil {
			t.Fatal(err)
		}
	}
	srv.stop()
	ids := dataIDs(t, srv.Drives[0])
	if len(ids) != 48 {
		t.Fatalf("drive 0 holds %d data ids, want 48", len(ids))
	}
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })

	// Round 1: damage 16 objects, read everything (right bytes), then a scrub pass.
	dmg1 := corrupt(t, r, srv.Drives, ids[:16], 2)
	srv.Args = append(srv.Args, "--scrub-interval", "1s")
	start := time.Now()
	srv.start(true)
	c = srv.s3(keys)
	n, b := verifyAll(t, c, led, "rot")
	srv.waitScrubAfter(time.Now(), time.Minute)
	srv.stop()
	checkRestored(t, dmg1)
	t.Logf("round 1: %d shard files damaged (%s), %d objects / %d bytes read correctly, healed in %v",
		len(dmg1), kinds(dmg1), n, b, time.Since(start).Round(time.Millisecond))

	// Round 2: damage 16 other objects nobody reads; the scrubber alone finds them.
	dmg2 := corrupt(t, r, srv.Drives, ids[16:32], 2)
	start = time.Now()
	srv.start(true)
	before, _ := metricWith(srv.metrics(), "coffer_heal_shards_repaired_total")
	sc := srv.waitScrubAfter(start, time.Minute)
	healed := time.Since(start)
	after, _ := metricWith(srv.metrics(), "coffer_heal_shards_repaired_total")
	if got := int(sc.ShardsRepaired); got < len(dmg2) {
		t.Errorf("scrubber repaired %d shards, %d were damaged", got, len(dmg2))
	}
	if after-before < float64(len(dmg2)) && after < float64(len(dmg2)) {
		t.Errorf("coffer_heal_shards_repaired_total went %v -> %v, %d damaged", before, after, len(dmg2))
	}
	// A second pass finds nothing left to repair.
	sc2 := srv.waitScrubAfter(time.Now(), time.Minute)
	if sc2.ShardsRepaired != sc.ShardsRepaired || sc2.Errors != 0 {
		t.Errorf("second pass: repaired %d -> %d, errors %d", sc.ShardsRepaired, sc2.ShardsRepaired, sc2.Errors)
	}
	srv.stop()
	checkRestored(t, dmg2)
	srv.start(true)
	n, b = verifyAll(t, srv.s3(keys), led, "rot")
	t.Logf("FIGURES bitrot: damaged=%d shard files (%s / %s) in %d objects, scrubber-only round healed in %v, %d objects / %d bytes verified",
		len(dmg1)+len(dmg2), kinds(dmg1), kinds(dmg2), 32, healed.Round(time.Millisecond), n, b)
}

func kinds(d []damage) string {
	m := map[string]int{}
	for _, x := range d {
		m[x.kind]++
	}
	return fmt.Sprintf("flip %d, truncate %d, delete %d", m["flip"], m["truncate"], m["delete"])
}
