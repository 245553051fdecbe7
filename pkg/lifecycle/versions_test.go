package lifecycle

import (
	"reflect"
	"testing"
)

func TestKeyObjects(t *testing.T) {
	v := []Version{
		{VersionID: "4", ModTime: utc("2026-01-04T00:00:00Z"), IsDeleteMarker: true},
		{VersionID: "3", ModTime: utc("2026-01-03T00:00:00Z"), Size: 3},
		{VersionID: "2", ModTime: utc("2026-01-02T00:00:00Z"), Size: 2, Tags: map[string]string{"a": "b"}},
		{VersionID: "1", ModTime: utc("2026-01-01T00:00:00Z"), Size: 1},
	}
	got := KeyObjects("k", v, true)
	want := []Object{
		{Key: "k", ModTime: v[0].ModTime, IsLatest: true, IsDeleteMarker: true, Versioned: true, OtherVersions: 3},
		{Key: "k", Size: 3, ModTime: v[1].ModTime, Versioned: true, OtherVersions: 3, NoncurrentSince: v[0].ModTime, NewerNoncurrent: 0},
		{Key: "k", Size: 2, Tags: v[2].Tags, ModTime: v[2].ModTime, Versioned: true, OtherVersions: 3, NoncurrentSince: v[1].ModTime, NewerNoncurrent: 1},
		{Key: "k", Size: 1, ModTime: v[3].ModTime, Versioned: true, OtherVersions: 3, NoncurrentSince: v[2].ModTime, NewerNoncurrent: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

// Carrying out a key's actions and evaluating again asks for nothing more
// (the property a crash-resumed pass relies on).
func TestEvaluateKeyIsIdempotent(t *testing.T) {
	c := mustParse(t, cfg(rule("r", ``, `<Expiration><Days>1</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)))
	now := utc("2026-02-01T00:30:00Z")
	versions := []Version{
		{VersionID: "3", ModTime: utc("2026-01-03T00:00:00Z")},
		{VersionID: "2", ModTime: utc("2026-01-02T00:00:00Z")},
		{VersionID: "1", ModTime: utc("2026-01-01T00:00:00Z")},
	}
	acts := c.EvaluateKey("k", versions, true, now)
	if len(acts) != 2 || acts[0].VersionID != "3" || acts[0].Action != ActionAddDeleteMarker ||
		acts[1].VersionID != "1" || acts[1].Action != ActionDeleteVersion {
		t.Fatalf("got %+v", acts)
	}
	// Apply: a marker on top, version 1 gone.
	after := []Version{{VersionID: "m", ModTime: now, IsDeleteMarker: true}, versions[0], versions[1]}
	acts = c.EvaluateKey("k", after, true, now)
	// Version 2 is now beyond the one newest noncurrent version kept.
	if len(acts) != 1 || acts[0].VersionID != "2" || acts[0].Action != ActionDeleteVersion {
		t.Fatalf("second pass got %+v", acts)
	}
	after = after[:2]
	if acts := c.EvaluateKey("k", after, true, now); len(acts) != 0 {
		t.Fatalf("third pass got %+v, want nothing", acts)
	}
}
