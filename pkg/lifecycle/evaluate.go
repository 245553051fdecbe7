package lifecycle

import (
	"strings"
	"time"
)

// Action is what a lifecycle pass does to one object version.
type Action int

// The actions, in no order of precedence: each kind of version has only one
// kind of action that can apply to it.
const (
	// ActionNone: nothing is due.
	ActionNone Action = iota
	// ActionDelete removes the current version of an unversioned bucket.
	ActionDelete
	// ActionAddDeleteMarker expires the current version of a versioned (or
	// suspended) bucket by putting a delete marker on top, as a DELETE would.
	ActionAddDeleteMarker
	// ActionDeleteVersion permanently deletes a noncurrent version.
	ActionDeleteVersion
	// ActionRemoveDeleteMarker removes an expired object delete marker (a
	// current delete marker with no other versions left).
	ActionRemoveDeleteMarker
)

func (a Action) String() string {
	switch a {
	case ActionDelete:
		return "delete"
	case ActionAddDeleteMarker:
		return "add-delete-marker"
	case ActionDeleteVersion:
		return "delete-version"
	case ActionRemoveDeleteMarker:
		return "remove-delete-marker"
	}
	return "none"
}

// Object is what the engine needs to know about one object version. The
// executor fills it from a version listing (newest first per key).
type Object struct {
	Key            string
	Size           int64
	Tags           map[string]string
	ModTime        time.Time
	IsLatest       bool
	IsDeleteMarker bool
	// Versioned is true when the bucket's versioning is Enabled or Suspended;
	// expiring a current version then adds a delete marker.
	Versioned bool
	// NoncurrentSince is when this version became noncurrent: the ModTime
	// of its successor. Unused for the latest version.
	NoncurrentSince time.Time
	// NewerNoncurrent is how many noncurrent versions of the key are newer
	// than this one (0 for the newest noncurrent version).
	NewerNoncurrent int
	// OtherVersions is how many other versions the key has; a current delete
	// marker with none is an expired object delete marker.
	OtherVersions int
}

// Decision is the action a configuration takes on an object, when it falls
// due and which rule takes it.
type Decision struct {
	Action Action
	RuleID string
	Due    time.Time
}

// Next returns the earliest action any enabled rule will take on o and when,
// due or not, or ActionNone if no rule will ever act on it as it stands.
// Among rules due at the same moment the first in the configuration wins, so
// the answer is deterministic. (AWS's wider precedence, expiration over
// transition and permanent deletion over a delete marker, never arises here:
// Coffer has no transitions and each kind of version has one kind of action.)
func (c *Configuration) Next(o *Object) Decision {
	var best Decision
	if c == nil {
		return best
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.Status != Enabled || !r.matches(o) {
			continue
		}
		d := r.decide(o)
		if d.Action == ActionNone {
			continue
		}
		if best.Action == ActionNone || d.Due.Before(best.Due) {
			best = d
		}
	}
	return best
}

// Evaluate returns the action due on o at now, or a Decision with
// ActionNone. now is the caller's clock: the engine never reads the time.
func (c *Configuration) Evaluate(o *Object, now time.Time) Decision {
	d := c.Next(o)
	if d.Action == ActionNone || now.Before(d.Due) {
		return Decision{}
	}
	return d
}

func (r *Rule) decide(o *Object) Decision {
	switch {
	case o.IsLatest && o.IsDeleteMarker:
		return r.decideMarker(o)
	case o.IsLatest:
		return r.decideCurrent(o)
	default:
		return r.decideNoncurrent(o)
	}
}

func (r *Rule) decideCurrent(o *Object) Decision {
	due, ok := r.expiry(o.ModTime)
	if !ok {
		return Decision{}
	}
	act := ActionDelete
	if o.Versioned {
		act = ActionAddDeleteMarker
	}
	return Decision{Action: act, RuleID: r.ID, Due: due}
}

// decideMarker: a current delete marker with other versions is left alone;
// one that is alone is removed at once by ExpiredObjectDeleteMarker, or by a
// Days/Date expiration once the marker meets its age ("Amazon S3 removes the
// expired object delete marker", S3 user guide, expiring objects).
func (r *Rule) decideMarker(o *Object) Decision {
	if o.OtherVersions > 0 || r.Expiration == nil {
		return Decision{}
	}
	if m := r.Expiration.ExpiredObjectDeleteMarker; m != nil {
		if !*m {
			return Decision{}
		}
		return Decision{Action: ActionRemoveDeleteMarker, RuleID: r.ID, Due: o.ModTime}
	}
	due, ok := r.expiry(o.ModTime)
	if !ok {
		return Decision{}
	}
	return Decision{Action: ActionRemoveDeleteMarker, RuleID: r.ID, Due: due}
}

func (r *Rule) decideNoncurrent(o *Object) Decision {
	n := r.NoncurrentVersionExpiration
	if n == nil || o.NewerNoncurrent < n.NewerNoncurrentVersions {
		return Decision{}
	}
	return Decision{Action: ActionDeleteVersion, RuleID: r.ID, Due: dueAfter(o.NoncurrentSince, n.NoncurrentDays)}
}

// expiry is when the rule's Expiration (Days or Date) expires a current
// version created at created.
func (r *Rule) expiry(created time.Time) (time.Time, bool) {
	e := r.Expiration
	switch {
	case e == nil:
		return time.Time{}, false
	case e.Days > 0:
		return dueAfter(created, e.Days), true
	case !e.Date.IsZero():
		return e.Date, true
	}
	return time.Time{}, false
}

// matches reports whether o is in the rule's scope: prefix, every tag, and
// the size bounds (both strict, as AWS defines them).
func (r *Rule) matches(o *Object) bool {
	s := r.scope()
	if !strings.HasPrefix(o.Key, s.prefix) {
		return false
	}
	for _, t := range s.tags {
		v, ok := o.Tags[t.Key]
		if !ok || v != t.Value {
			return false
		}
	}
	if s.greater != nil && o.Size <= *s.greater {
		return false
	}
	if s.less != nil && o.Size >= *s.less {
		return false
	}
	return true
}
