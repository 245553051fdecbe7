package postpolicy

import (
	"math"
	"strings"
	"time"
)

// Range is the file size, in bytes, a policy allows: Min <= size <= Max.
type Range struct {
	Min, Max int64
}

// AnySize is the Range of a policy without content-length-range.
var AnySize = Range{Min: 0, Max: math.MaxInt64}

// exempt reports whether a form field needs no condition: S3 exempts the
// file, the policy, the signatures and access key (which sign the policy
// rather than being signed by it) and x-ignore-* fields.
func exempt(lowerName string) bool {
	switch lowerName {
	case "file", "policy", "x-amz-signature", "signature", "awsaccesskeyid":
		return true
	}
	return strings.HasPrefix(lowerName, "x-ignore-")
}

// Check checks form f, uploading to bucket at time now, against p: the
// policy has not expired, every condition holds, and every field of the
// form but the exempt ones is named by a condition. It returns the file
// size the policy allows, which the caller enforces while streaming
// (LimitLength). Errors are AccessDenied *Error values worded as S3's
// ("Invalid according to Policy: ...").
func (p *Policy) Check(f *Form, bucket string, now time.Time) (Range, error) {
	if !now.Before(p.Expiration) {
		return Range{}, ErrPolicyExpired
	}
	size := AnySize
	covered := map[string]bool{}
	for _, c := range p.Conditions {
		if c.never {
			return Range{}, policyDenied("Policy Condition failed: " + c.text)
		}
		if c.Op == opLengthRange {
			size.Min = max(size.Min, c.Min)
			size.Max = min(size.Max, c.Max)
			continue
		}
		covered[c.Field] = true
		v, present := fieldValue(f, bucket, c.Field)
		if !present || !c.holds(v) {
			return Range{}, policyDenied("Policy Condition failed: " + c.text)
		}
	}
	var extra []string
	for _, fd := range f.Fields() {
		lower := strings.ToLower(fd.Name)
		if !exempt(lower) && !covered[lower] {
			extra = append(extra, fd.Name)
		}
	}
	if len(extra) > 0 {
		return Range{}, policyDenied("Extra input fields: " + strings.Join(extra, ", "))
	}
	return size, nil
}

// fieldValue is what a condition on field is matched against: the bucket
// the request names, else the form field (its ${filename} expanded). A
// condition on a field the form lacks fails, even starts-with "", as in S3.
func fieldValue(f *Form, bucket, field string) (string, bool) {
	if field == "bucket" {
		return bucket, true
	}
	return f.Get(field)
}

// holds applies an eq or starts-with condition to v. A starts-with on
// Content-Type must hold for each comma-separated value, as S3 documents.
func (c *Condition) holds(v string) bool {
	if c.Op == opEq {
		return v == c.Value
	}
	if c.Field == "content-type" && c.Value != "" {
		for _, part := range strings.Split(v, ",") {
			if !strings.HasPrefix(strings.TrimSpace(part), c.Value) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(v, c.Value)
}
