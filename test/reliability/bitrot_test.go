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

// shardFiles lists a drive's shard-holding files by path relative to the
// drive: data/xx/<id>.meta and .shard files, and pack log segments
// (packs/<seq>.pack, which hold the records of small objects).
func shardFiles(t *testing.T, drive string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"data/*/*.meta", "data/*/*.shard", "packs/*.pack"} {
		m, err := filepath.Glob(filepath.Join(drive, pat))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, _ := filepath.Rel(drive, f)
			out = append(out, rel)
		}
	}
	sort.Strings(out)
	return out
}

// corrupt damages about a third of the shard files on each of the given
// drives (so no object loses more shards than there are drives in the
// set): flips bytes in, truncates or deletes them, and returns what it did.
func corrupt(t *testing.T, r *rand.Rand, drives []string) []damage {
	t.Helper()
	var out []damage
	for _, drive := range drives {
		for n, rel := range shardFiles(t, drive) {
			if r.IntN(3) != 0 {
				continue
			}
			path := filepath.Join(drive, rel)
			orig, err := os.ReadFile(path)
			if err != nil || len(orig) == 0 {
				continue
			}
			kind := []string{"flip", "truncate", "delete"}[(n+r.IntN(3))%3]
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

// checkRestored asserts every damaged .meta/.shard file is back,
// byte-identical. (Packed objects are healed by appending fresh records to
// the active pack segment, so damaged segments are proven by the final
// read-with-other-drives-wiped check instead.)
func checkRestored(t *testing.T, dmg []damage) {
	t.Helper()
	for _, d := range dmg {
		if strings.HasSuffix(d.path, ".pack") {
			continue
		}
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
	perm := r.Perm(6)
	set1, set2, untouched := perm[0:2], perm[2:4], perm[4:6]
	drivesOf := func(idx []int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, srv.Drives[i])
		}
		return out
	}

	// Round 1: damage two drives, read everything (right bytes), then a scrub pass.
	dmg1 := corrupt(t, r, drivesOf(set1))
	srv.Args = append(srv.Args, "--scrub-interval", "1s")
	start := time.Now()
	srv.start(true)
	c = srv.s3(keys)
	n, b := verifyAll(t, c, led, "rot")
	srv.waitScrubAfter(time.Now(), time.Minute)
	srv.stop()
	checkRestored(t, dmg1)
	t.Logf("round 1: %d shard files damaged on drives %v (%s), %d objects / %d bytes read correctly, healed in %v",
		len(dmg1), set1, kinds(dmg1), n, b, time.Since(start).Round(time.Millisecond))

	// Round 2: damage two other drives; nobody reads, the scrubber alone finds it.
	dmg2 := corrupt(t, r, drivesOf(set2))
	start = time.Now()
	srv.start(true)
	before, _ := metricWith(srv.metrics(), "coffer_heal_shards_repaired_total")
	sc := srv.waitScrubAfter(start, time.Minute)
	healed := time.Since(start)
	after, _ := metricWith(srv.metrics(), "coffer_heal_shards_repaired_total")
	if sc.ShardsRepaired == 0 || after <= before && after == 0 {
		t.Errorf("scrubber repaired %d shards (metric %v -> %v) after %d damaged files", sc.ShardsRepaired, before, after, len(dmg2))
	}
	// A second pass finds nothing left to repair.
	sc2 := srv.waitScrubAfter(time.Now(), time.Minute)
	if sc2.ShardsRepaired != sc.ShardsRepaired || sc2.Errors != 0 {
		t.Errorf("second pass: repaired %d -> %d, errors %d", sc.ShardsRepaired, sc2.ShardsRepaired, sc2.Errors)
	}
	srv.stop()
	checkRestored(t, dmg2)

	// Proof of the heal: wipe the two drives never damaged; the four healed
	// drives alone must serve every object byte-identical.
	srv.restartWithout(untouched...)
	n, b = verifyAll(t, srv.s3(keys), led, "rot")
	if n != 48 {
		t.Fatalf("%d objects after wiping the untouched drives, want 48", n)
	}
	t.Logf("FIGURES bitrot: damaged=%d shard files (%s / %s), scrubber-only round healed in %v (%d shards repaired), %d objects / %d bytes verified from the healed drives alone",
		len(dmg1)+len(dmg2), kinds(dmg1), kinds(dmg2), healed.Round(time.Millisecond), sc.ShardsRepaired, n, b)
}

func kinds(d []damage) string {
	m := map[string]int{}
	for _, x := range d {
		m[x.kind]++
	}
	return fmt.Sprintf("flip %d, truncate %d, delete %d", m["flip"], m["truncate"], m["delete"])
}

// TestHealPackedObjectOnWipedDrive: a small (packed) object whose
// shard is lost with a wiped drive must be rewritten there by the scrubber,
// so that afterwards losing parity other drives still leaves it readable.
func TestHealPackedObjectOnWipedDrive(t *testing.T) {
	srv := startCoffer(t, 6, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("packheal")
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	led := newLedger()
	r := rngFor(t)
	for i, size := range []int{10, 1000, 60 << 10, 200 << 10, 2 << 20} {
		body, v := makeBody(r, size)
		if err := led.putObject(c, "box", fmt.Sprintf("o%d", i), body, v); err != nil {
			t.Fatal(err)
		}
	}
	srv.stop()
	srv.emptyDrives(0)
	srv.Args = append(srv.Args, "--scrub-interval", "1s")
	start := time.Now()
	srv.start(true)
	sc := srv.waitScrubAfter(start, time.Minute)
	t.Logf("scrub after wiping drive 0: %+v", sc)
	srv.stop()
	srv.restartWithout(4, 5)
	c = srv.s3(keys)
	for i := 0; i < 5; i++ {
		k := fmt.Sprintf("o%d", i)
		if _, err := led.verifyKey(c, "box", k); err != nil {
			t.Errorf("after healing drive 0 and losing drives 4, 5: %v", err)
		}
	}
}
