package lifecycle

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// simVersion is one version in the simulated versioned bucket.
type simVersion struct {
	id     int
	mod    time.Time
	marker bool
	size   int64
}

// simBucket is an in-memory versioned bucket: per key, versions oldest first.
type simBucket struct {
	keys   map[string][]simVersion
	nextID int
}

func (b *simBucket) put(key string, at time.Time, size int64) {
	b.nextID++
	b.keys[key] = append(b.keys[key], simVersion{id: b.nextID, mod: at, size: size})
}

// objects lists the facts the executor would give the engine, per version.
func (b *simBucket) objects() []Object {
	var out []Object
	keys := make([]string, 0, len(b.keys))
	for k := range b.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := b.keys[k]
		newerNoncurrent := 0
		for i := len(vs) - 1; i >= 0; i-- {
			o := Object{Key: k, Size: vs[i].size, ModTime: vs[i].mod, IsDeleteMarker: vs[i].marker,
				Versioned: true, OtherVersions: len(vs) - 1, IsLatest: i == len(vs)-1}
			if !o.IsLatest {
				o.NoncurrentSince = vs[i+1].mod
				o.NewerNoncurrent = newerNoncurrent
				newerNoncurrent++
			}
			out = append(out, o)
		}
	}
	return out
}

func (b *simBucket) remove(key string, mod time.Time) {
	vs := b.keys[key]
	for i := range vs {
		if vs[i].mod.Equal(mod) {
			b.keys[key] = append(vs[:i:i], vs[i+1:]...)
			break
		}
	}
	if len(b.keys[key]) == 0 {
		delete(b.keys, key)
	}
}

// independentDue counts AWS's way without dueAfter: whole UTC days since the
// epoch of start+N days, plus one.
func independentDue(start time.Time, days int) time.Time {
	sec := start.Unix() + int64(days)*86400
	dayIndex := sec / 86400
	if sec < 0 && sec%86400 != 0 {
		dayIndex--
	}
	return time.Unix((dayIndex+1)*86400, 0).UTC()
}

// TestSimulatedYear runs a versioned bucket through 365 days with writes at
// random times and one lifecycle pass a day at 00:30 UTC, clock injected.
// Every action must be due by an independent count (never early), and after
// each pass nothing due may be left (never more than one pass late).
func TestSimulatedYear(t *testing.T) {
	const (
		logDays   = 30
		ncDays    = 7
		keepNewer = 2
		tmpDays   = 1
	)
	c := mustParse(t, cfg(
		rule("logs", `<Prefix>logs/</Prefix>`, fmt.Sprintf(`<Expiration><Days>%d</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>%d</NoncurrentDays><NewerNoncurrentVersions>%d</NewerNoncurrentVersions></NoncurrentVersionExpiration>`, logDays, ncDays, keepNewer)),
		rule("tmp", `<Prefix>tmp/</Prefix>`, fmt.Sprintf(`<Expiration><Days>%d</Days></Expiration>`, tmpDays)),
		rule("markers", ``, `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration><NoncurrentVersionExpiration><NoncurrentDays>60</NoncurrentDays></NoncurrentVersionExpiration>`),
	))
	rng := rand.New(rand.NewPCG(16, 2026))
	b := &simBucket{keys: map[string][]simVersion{}}
	start := utc("2026-01-01T00:00:00Z")
	counts := map[Action]int{}
	for d := 0; d < 365; d++ {
		dayStart := start.AddDate(0, 0, d)
		// The pass at 00:30, before the day's writes.
		now := dayStart.Add(30 * time.Minute)
		touched := map[string]bool{}
		checkKeyObjectsAgree(t, b)
		for _, o := range b.objects() {
			dec := c.Evaluate(&o, now)
			if dec.Action == ActionNone {
				continue
			}
			checkNotEarly(t, &o, dec, now, logDays, ncDays, tmpDays)
			counts[dec.Action]++
			switch dec.Action {
			case ActionAddDeleteMarker:
				b.nextID++
				b.keys[o.Key] = append(b.keys[o.Key], simVersion{id: b.nextID, mod: now, marker: true})
			case ActionDeleteVersion, ActionRemoveDeleteMarker:
				b.remove(o.Key, o.ModTime)
				touched[o.Key] = true
			default:
				t.Fatalf("day %d: unexpected %v on %s in a versioned bucket", d, dec.Action, o.Key)
			}
		}
		checkNothingLeftDue(t, b, c, now, d, touched)
		if n := len(b.keys["logs/current"]) - 1; d > 5 && n < keepNewer {
			t.Fatalf("day %d: logs/current kept %d noncurrent versions, want at least %d", d, n, keepNewer)
		}
		// Writes at random seconds of the day, including the last one.
		b.put(fmt.Sprintf("logs/day-%03d", d), dayStart.Add(time.Duration(rng.IntN(86400))*time.Second), 100)
		// logs/current is rewritten in bursts, so versions old enough to
		// expire exist among the newest noncurrent ones that must stay.
		if d%10 == 5 {
			secs := []int{rng.IntN(86400), rng.IntN(86400), rng.IntN(86400), rng.IntN(86400)}
			sort.Ints(secs)
			for i, s := range secs {
				b.put("logs/current", dayStart.Add(time.Duration(s)*time.Second+time.Duration(i)*time.Nanosecond), 10)
			}
		}
		b.put("tmp/scratch", dayStart.Add(86399*time.Second), 1)
		b.put(fmt.Sprintf("keep/%03d", d), dayStart.Add(time.Hour), 1)
	}
	// The last pass ran at end; logs/day-N lives exactly while end < its due.
	end := start.AddDate(0, 0, 364).Add(30 * time.Minute)
	live := 0
	for k, vs := range b.keys {
		if strings.HasPrefix(k, "logs/day-") && !vs[len(vs)-1].marker {
			live++
			if !end.Before(independentDue(vs[len(vs)-1].mod, logDays)) {
				t.Errorf("%s still live after its due date", k)
			}
		}
	}
	if live < logDays-1 || live > logDays+1 {
		t.Errorf("%d logs/day-* objects live at the end, want about %d", live, logDays)
	}
	// The last burst (day 355) is over ncDays old: logs/current keeps its
	// current version and exactly keepNewer noncurrent ones.
	if n := len(b.keys["logs/current"]); n != 1+keepNewer {
		t.Errorf("logs/current has %d versions", n)
	}
	if len(b.keys) == 0 || counts[ActionAddDeleteMarker] == 0 || counts[ActionDeleteVersion] == 0 || counts[ActionRemoveDeleteMarker] == 0 {
		t.Fatalf("the year exercised too little: %v", counts)
	}
	for k := range b.keys {
		if strings.HasPrefix(k, "keep/") && len(b.keys[k]) != 1 {
			t.Errorf("%s outside every expiring rule was touched", k)
		}
	}
	if n := len(keysWithPrefix(b, "keep/")); n != 365 {
		t.Errorf("%d keep/ objects left, want 365", n)
	}
}

func keysWithPrefix(b *simBucket, p string) []string {
	var out []string
	for k := range b.keys {
		if strings.HasPrefix(k, p) {
			out = append(out, k)
		}
	}
	return out
}

// checkNotEarly recomputes, without the engine, the earliest moment the
// decided action could be due.
func checkNotEarly(t *testing.T, o *Object, dec Decision, now time.Time, logDays, ncDays, tmpDays int) {
	t.Helper()
	var due time.Time
	switch dec.Action {
	case ActionAddDeleteMarker:
		days := logDays
		if strings.HasPrefix(o.Key, "tmp/") {
			days = tmpDays
		}
		due = independentDue(o.ModTime, days)
	case ActionDeleteVersion:
		days := 60
		if dec.RuleID == "logs" {
			days = ncDays
			if o.NewerNoncurrent < 2 {
				t.Fatalf("%s: deleted one of the newest noncurrent versions (%d newer)", o.Key, o.NewerNoncurrent)
			}
		}
		due = independentDue(o.NoncurrentSince, days)
	case ActionRemoveDeleteMarker:
		if o.OtherVersions != 0 {
			t.Fatalf("%s: removed a delete marker that has other versions", o.Key)
		}
		due = o.ModTime
	}
	if now.Before(due) {
		t.Fatalf("%s: %v by %s at %s, due only at %s", o.Key, dec.Action, dec.RuleID, now, due)
	}
	if !dec.Due.Equal(due) && dec.Action != ActionRemoveDeleteMarker {
		t.Fatalf("%s: engine due %s, independent %s", o.Key, dec.Due, due)
	}
}

// checkNothingLeftDue: after a pass, nothing is still due, except a delete
// marker the pass itself left alone by deleting the key's last other version
// (the next pass removes it, or this check fails then).
func checkNothingLeftDue(t *testing.T, b *simBucket, c *Configuration, now time.Time, day int, touched map[string]bool) {
	t.Helper()
	for _, o := range b.objects() {
		dec := c.Evaluate(&o, now)
		if dec.Action == ActionNone || (dec.Action == ActionRemoveDeleteMarker && touched[o.Key]) {
			continue
		}
		t.Fatalf("day %d: %v on %s still due after the pass (due %s)", day, dec.Action, o.Key, dec.Due)
	}
}

// checkKeyObjectsAgree: KeyObjects derives the same facts as the simulator.
func checkKeyObjectsAgree(t *testing.T, b *simBucket) {
	t.Helper()
	var fromKeys []Object
	keys := make([]string, 0, len(b.keys))
	for k := range b.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := b.keys[k]
		newestFirst := make([]Version, 0, len(vs))
		for i := len(vs) - 1; i >= 0; i-- {
			newestFirst = append(newestFirst, Version{ModTime: vs[i].mod, Size: vs[i].size, IsDeleteMarker: vs[i].marker})
		}
		fromKeys = append(fromKeys, KeyObjects(k, newestFirst, true)...)
	}
	if got, want := fromKeys, b.objects(); !reflect.DeepEqual(got, want) {
		t.Fatalf("KeyObjects disagrees with the simulator")
	}
}
