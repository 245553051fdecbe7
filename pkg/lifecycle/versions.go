package lifecycle

import "time"

// Version is one version of a key as storage lists it.
type Version struct {
	VersionID      string
	ModTime        time.Time
	Size           int64
	Tags           map[string]string
	IsDeleteMarker bool
}

// KeyAction is a decision on one version of a key.
type KeyAction struct {
	VersionID string
	Decision
}

// KeyObjects derives the engine's facts for every version of one key from
// its versions listed newest first (as ListObjectVersions orders them):
// which is latest, when each became noncurrent (its successor's ModTime),
// how many noncurrent versions are newer, and how many other versions there
// are. A noncurrent delete marker counts as a noncurrent version.
func KeyObjects(key string, newestFirst []Version, versioned bool) []Object {
	out := make([]Object, len(newestFirst))
	for i, v := range newestFirst {
		o := Object{Key: key, Size: v.Size, Tags: v.Tags, ModTime: v.ModTime, IsLatest: i == 0,
			IsDeleteMarker: v.IsDeleteMarker, Versioned: versioned, OtherVersions: len(newestFirst) - 1}
		if i > 0 {
			o.NoncurrentSince = newestFirst[i-1].ModTime
			o.NewerNoncurrent = i - 1
		}
		out[i] = o
	}
	return out
}

// EvaluateKey returns the actions due at now on the versions of one key
// (listed newest first), in that order. Every decision is derived from the
// versions as they are, so running it again after some of them were carried
// out (say, after a crash) asks for nothing twice: a removed version is no
// longer listed, and a key whose current version became a delete marker gets
// no second one.
func (c *Configuration) EvaluateKey(key string, newestFirst []Version, versioned bool, now time.Time) []KeyAction {
	var out []KeyAction
	for i, o := range KeyObjects(key, newestFirst, versioned) {
		if d := c.Evaluate(&o, now); d.Action != ActionNone {
			out = append(out, KeyAction{VersionID: newestFirst[i].VersionID, Decision: d})
		}
	}
	return out
}
