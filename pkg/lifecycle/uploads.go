package lifecycle

import (
	"strings"
	"time"
)

// DefaultAbortDays is the operator default for aborting incomplete multipart
// uploads when a tenant's setting is not given (issue 16: default on, 7 days).
const DefaultAbortDays = 7

// Upload is what the engine needs to know about an incomplete multipart upload.
type Upload struct {
	Key       string
	Initiated time.Time
}

// AbortDecision says when an upload is aborted and why.
type AbortDecision struct {
	// Due is when the upload is aborted; zero when nothing will abort it.
	Due time.Time
	// RuleID is the bucket rule that aborts it, "" when it is the tenant
	// default (which has no rule to name, so S3 sends no abort headers).
	RuleID string
	// FromDefault is true when the tenant default, not a bucket rule, applies.
	FromDefault bool
}

// Set reports whether anything will abort the upload.
func (d AbortDecision) Set() bool { return !d.Due.IsZero() }

// DueAt reports whether the abort is due at now.
func (d AbortDecision) DueAt(now time.Time) bool { return d.Set() && !now.Before(d.Due) }

// AbortHeaders are the x-amz-abort-date and x-amz-abort-rule-id values for
// CreateMultipartUpload and ListParts (the rule ID with control and
// non-ASCII bytes percent-encoded, so it is a valid header value; AWS
// documents no encoding for it); ok is false when no bucket rule
// applies (the tenant default has no rule ID to name, so no headers).
func (d AbortDecision) AbortHeaders() (date, ruleID string, ok bool) {
	if !d.Set() || d.FromDefault {
		return "", "", false
	}
	return httpDate(d.Due), headerSafe(d.RuleID), true
}

// AbortFor returns the earliest abort any enabled bucket rule sets for u.
// Only a rule's prefix can select an upload: validation refuses tag and size
// filters on AbortIncompleteMultipartUpload, and a rule carrying one anyway
// (built by hand) is skipped rather than guessed at.
func (c *Configuration) AbortFor(u *Upload) AbortDecision {
	var best AbortDecision
	if c == nil {
		return best
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		a := r.AbortIncompleteMultipartUpload
		if r.Status != Enabled || a == nil {
			continue
		}
		s := r.scope()
		if s.usesTags() || s.usesSizes() || !strings.HasPrefix(u.Key, s.prefix) {
			continue
		}
		due := dueAfter(u.Initiated, a.DaysAfterInitiation)
		if !best.Set() || due.Before(best.Due) {
			best = AbortDecision{Due: due, RuleID: r.ID}
		}
	}
	return best
}

// EffectiveAbort combines the tenant's default (abort after defaultDays;
// 0 or less turns the default off) with the bucket's configuration c (nil
// when the bucket has none): an enabled bucket rule that selects the upload
// overrides the default for it, whether its date is earlier or later; other
// uploads of the bucket keep the default.
func EffectiveAbort(c *Configuration, defaultDays int, u *Upload) AbortDecision {
	if d := c.AbortFor(u); d.Set() {
		return d
	}
	if defaultDays <= 0 {
		return AbortDecision{}
	}
	return AbortDecision{Due: dueAfter(u.Initiated, defaultDays), FromDefault: true}
}

// headerSafe percent-encodes '%' and every byte outside printable ASCII.
func headerSafe(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '%' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
