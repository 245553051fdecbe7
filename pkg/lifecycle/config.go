package lifecycle

import "time"

// Limits AWS sets on a configuration, and ours on the body.
const (
	// MaxRules is AWS's limit on rules per configuration.
	MaxRules = 1000
	// MaxIDLength is AWS's limit on a rule ID, in characters.
	MaxIDLength = 255
	// MaxBodyBytes bounds the body Parse reads. AWS documents no byte limit;
	// 1000 rules with ten maximal tags each come to about 4 MiB, so this is
	// not reachable by a configuration S3 would accept and small enough to
	// hold in memory per request.
	MaxBodyBytes = 4 << 20
	// MaxObjectSize is the bound AWS gives for ObjectSizeGreaterThan/LessThan.
	MaxObjectSize = 1099511627776000
)

// Status is a rule's Status element.
type Status string

// The two statuses S3 accepts.
const (
	Enabled  Status = "Enabled"
	Disabled Status = "Disabled"
)

// Configuration is a bucket's lifecycle configuration as S3 stores and
// returns it: the rules in the order given.
type Configuration struct {
	Rules []Rule
}

// Rule is one lifecycle rule. Exactly one of Prefix (the legacy, "V1" form:
// a top-level Prefix element) and Filter (V2) is set, so Marshal gives back
// the form the client sent.
type Rule struct {
	ID     string
	Status Status
	Prefix *string
	Filter *Filter

	Expiration                     *Expiration
	NoncurrentVersionExpiration    *NoncurrentVersionExpiration
	AbortIncompleteMultipartUpload *AbortIncompleteMultipartUpload
}

// Filter selects the objects a rule applies to; at most one field is set
// (AWS's union), none meaning every object.
type Filter struct {
	Prefix                *string
	Tag                   *Tag
	And                   *And
	ObjectSizeGreaterThan *int64
	ObjectSizeLessThan    *int64
}

// And combines conditions that must all hold.
type And struct {
	Prefix                *string
	Tags                  []Tag
	ObjectSizeGreaterThan *int64
	ObjectSizeLessThan    *int64
}

// Tag is an object tag a rule requires (key and value both match).
type Tag struct {
	Key   string
	Value string
}

// Expiration expires current versions after Days or on Date, or (only)
// removes expired object delete markers. Exactly one of the three is set.
type Expiration struct {
	Days                      int
	Date                      time.Time // midnight UTC; zero when unset
	ExpiredObjectDeleteMarker *bool
}

// NoncurrentVersionExpiration deletes versions NoncurrentDays after they
// became noncurrent, keeping the NewerNoncurrentVersions newest (0 = keep
// none).
type NoncurrentVersionExpiration struct {
	NoncurrentDays          int
	NewerNoncurrentVersions int
}

// AbortIncompleteMultipartUpload aborts uploads DaysAfterInitiation days after
// they were created.
type AbortIncompleteMultipartUpload struct {
	DaysAfterInitiation int
}

// scope is a rule's filter flattened for matching.
type scope struct {
	prefix  string
	tags    []Tag
	greater *int64
	less    *int64
}

func (r *Rule) scope() scope {
	if r.Prefix != nil {
		return scope{prefix: *r.Prefix}
	}
	f := r.Filter
	if f == nil {
		return scope{}
	}
	var s scope
	switch {
	case f.Prefix != nil:
		s.prefix = *f.Prefix
	case f.Tag != nil:
		s.tags = []Tag{*f.Tag}
	case f.And != nil:
		if f.And.Prefix != nil {
			s.prefix = *f.And.Prefix
		}
		s.tags = f.And.Tags
		s.greater, s.less = f.And.ObjectSizeGreaterThan, f.And.ObjectSizeLessThan
	default:
		s.greater, s.less = f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
	}
	return s
}

func (s scope) usesTags() bool  { return len(s.tags) > 0 }
func (s scope) usesSizes() bool { return s.greater != nil || s.less != nil }
