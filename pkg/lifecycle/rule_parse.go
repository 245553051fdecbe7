package lifecycle

import (
	"strconv"
	"strings"
	"time"
)

// One rule's elements, checked in the order S3 reports their faults.

func convertRule(x *xmlRule, v2 bool) (Rule, error) {
	var r Rule
	if len(x.Other) > 0 || len(x.Status) != 1 || len(x.Prefix) > 1 || len(x.Filter) > 1 ||
		len(x.Expiration) > 1 || len(x.NoncurrentVersionExpiration) > 1 || len(x.AbortIncompleteMultipartUpload) > 1 {
		return r, malformed()
	}
	if len(x.ID) == 1 {
		r.ID = x.ID[0]
	}
	switch Status(strings.TrimSpace(x.Status[0])) {
	case Enabled:
		r.Status = Enabled
	case Disabled:
		r.Status = Disabled
	default:
		return r, malformed()
	}
	switch {
	case len(x.Prefix) == 0 && len(x.Filter) == 0:
		return r, malformed()
	case len(x.Prefix) == 1 && v2:
		return r, invalidRequest(msgPrefixInV2)
	case len(x.Filter) == 1 && !v2:
		return r, invalidRequest(msgFilterInV1)
	case len(x.Prefix) == 1:
		p := x.Prefix[0]
		r.Prefix = &p
	default:
		f, err := convertFilter(&x.Filter[0])
		if err != nil {
			return r, err
		}
		r.Filter = f
	}
	if len(x.Expiration) == 0 && len(x.NoncurrentVersionExpiration) == 0 &&
		len(x.AbortIncompleteMultipartUpload) == 0 && len(x.Transition) == 0 &&
		len(x.NoncurrentVersionTransition) == 0 {
		return r, invalidArgument(msgNoAction)
	}
	var err error
	if len(x.Expiration) == 1 {
		if r.Expiration, err = convertExpiration(&x.Expiration[0]); err != nil {
			return r, err
		}
	}
	if len(x.NoncurrentVersionExpiration) == 1 {
		if r.NoncurrentVersionExpiration, err = convertNoncurrent(&x.NoncurrentVersionExpiration[0], v2); err != nil {
			return r, err
		}
	}
	if len(x.AbortIncompleteMultipartUpload) == 1 {
		a := &x.AbortIncompleteMultipartUpload[0]
		if len(a.Other) > 0 || len(a.Days) != 1 {
			return r, malformed()
		}
		days, err := parseInt(a.Days[0], 32)
		if err != nil {
			return r, err
		}
		if days <= 0 {
			return r, invalidArgument(msgAbortDays)
		}
		r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: int(days)}
	}
	// Uploads carry no tags and no size yet, so AWS refuses filtering them by
	// either; a delete marker likewise has none.
	s := r.scope()
	marker := r.Expiration != nil && r.Expiration.ExpiredObjectDeleteMarker != nil
	switch {
	case marker && s.usesTags():
		return r, invalidRequest(msgMarkerWithTags)
	case marker && s.usesSizes():
		return r, invalidRequest(msgMarkerWithSize)
	case r.AbortIncompleteMultipartUpload != nil && s.usesTags():
		return r, invalidRequest(msgAbortWithTags)
	case r.AbortIncompleteMultipartUpload != nil && s.usesSizes():
		return r, invalidRequest(msgAbortWithSize)
	}
	return r, nil
}

func convertFilter(x *xmlFilter) (*Filter, error) {
	if len(x.Other) > 0 {
		return nil, malformed()
	}
	// AWS's Filter is a union: one condition, or And to combine several.
	if len(x.Prefix)+len(x.Tag)+len(x.And)+len(x.Greater)+len(x.Less) > 1 {
		return nil, malformed()
	}
	f := &Filter{}
	var err error
	switch {
	case len(x.Prefix) == 1:
		p := x.Prefix[0]
		f.Prefix = &p
	case len(x.Tag) == 1:
		t, err := convertTag(&x.Tag[0])
		if err != nil {
			return nil, err
		}
		f.Tag = &t
	case len(x.And) == 1:
		if f.And, err = convertAnd(&x.And[0]); err != nil {
			return nil, err
		}
	case len(x.Greater) == 1:
		if f.ObjectSizeGreaterThan, err = parseSize(x.Greater[0], 0, msgSizeGreaterRange); err != nil {
			return nil, err
		}
	case len(x.Less) == 1:
		if f.ObjectSizeLessThan, err = parseSize(x.Less[0], 1, msgSizeLessRange); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func convertAnd(x *xmlAnd) (*And, error) {
	if len(x.Other) > 0 || len(x.Prefix) > 1 || len(x.Greater) > 1 || len(x.Less) > 1 {
		return nil, malformed()
	}
	a := &And{}
	if len(x.Prefix) == 1 {
		p := x.Prefix[0]
		a.Prefix = &p
	}
	keys := make(map[string]bool, len(x.Tag))
	for i := range x.Tag {
		t, err := convertTag(&x.Tag[i])
		if err != nil {
			return nil, err
		}
		if keys[t.Key] {
			return nil, invalidRequest(msgDuplicateTagKey)
		}
		keys[t.Key] = true
		a.Tags = append(a.Tags, t)
	}
	var err error
	if len(x.Greater) == 1 {
		if a.ObjectSizeGreaterThan, err = parseSize(x.Greater[0], 0, msgSizeGreaterRange); err != nil {
			return nil, err
		}
	}
	if len(x.Less) == 1 {
		if a.ObjectSizeLessThan, err = parseSize(x.Less[0], 1, msgSizeLessRange); err != nil {
			return nil, err
		}
	}
	if a.ObjectSizeGreaterThan != nil && a.ObjectSizeLessThan != nil && *a.ObjectSizeLessThan <= *a.ObjectSizeGreaterThan {
		return nil, invalidRequest(msgSizeOrder)
	}
	return a, nil
}

func convertTag(x *xmlTag) (Tag, error) {
	if len(x.Other) > 0 || len(x.Key) != 1 || len(x.Value) > 1 || x.Key[0] == "" {
		return Tag{}, malformed()
	}
	t := Tag{Key: x.Key[0]}
	if len(x.Value) == 1 {
		t.Value = x.Value[0]
	}
	return t, nil
}

func convertExpiration(x *xmlExpiration) (*Expiration, error) {
	if len(x.Other) > 0 || len(x.Days) > 1 || len(x.Date) > 1 || len(x.Marker) > 1 {
		return nil, malformed()
	}
	if len(x.Marker) == 1 && len(x.Days)+len(x.Date) > 0 {
		return nil, invalidArgument(msgMarkerWithDays)
	}
	e := &Expiration{}
	switch {
	case len(x.Days) == 1 && len(x.Date) == 1, len(x.Days)+len(x.Date)+len(x.Marker) == 0:
		return nil, malformed()
	case len(x.Days) == 1:
		days, err := parseInt(x.Days[0], 32)
		if err != nil {
			return nil, err
		}
		if days <= 0 {
			return nil, invalidArgument(msgDaysPositive)
		}
		e.Days = int(days)
	case len(x.Date) == 1:
		date, err := parseDate(x.Date[0])
		if err != nil {
			return nil, err
		}
		e.Date = date
	default:
		var v bool
		switch strings.TrimSpace(x.Marker[0]) {
		case "true", "1":
			v = true
		case "false", "0":
		default:
			return nil, malformed()
		}
		e.ExpiredObjectDeleteMarker = &v
	}
	return e, nil
}

func convertNoncurrent(x *xmlNoncurrent, v2 bool) (*NoncurrentVersionExpiration, error) {
	// NoncurrentDays is required: S3 found one without it malformed, even
	// with NewerNoncurrentVersions.
	if len(x.Other) > 0 || len(x.Days) != 1 || len(x.Newer) > 1 {
		return nil, malformed()
	}
	days, err := parseInt(x.Days[0], 32)
	if err != nil {
		return nil, err
	}
	if days <= 0 {
		return nil, invalidArgument(msgNoncurrentDays)
	}
	n := &NoncurrentVersionExpiration{NoncurrentDays: int(days)}
	if len(x.Newer) == 1 {
		if !v2 {
			return nil, invalidRequest(msgNewerNoncurrentInV1)
		}
		newer, err := parseInt(x.Newer[0], 32)
		if err != nil {
			return nil, err
		}
		if newer <= 0 {
			return nil, invalidArgument(msgNewerNoncurrent)
		}
		n.NewerNoncurrentVersions = int(newer)
	}
	return n, nil
}

// parseInt reads an xs:int (or xs:long); text that is no integer of that
// size does not validate against the schema.
func parseInt(s string, bits int) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
	if err != nil {
		return 0, malformed()
	}
	return v, nil
}

func parseSize(s string, lowest int64, msg string) (*int64, error) {
	v, err := parseInt(s, 64)
	if err != nil {
		return nil, err
	}
	if v < lowest || v > MaxObjectSize {
		return nil, invalidRequest(msg)
	}
	return &v, nil
}

// parseDate reads an ISO 8601 timestamp (with or without fractional seconds)
// and requires midnight UTC, as AWS does.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, malformed()
	}
	t = t.UTC()
	if !t.Equal(midnight(t)) {
		return time.Time{}, invalidArgument(msgDateMidnight)
	}
	return t, nil
}
