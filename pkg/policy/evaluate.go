package policy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Decision is the outcome of evaluating a request against a policy.
type Decision int

const (
	// NoMatch: no statement allows or denies the request (an implicit deny
	// unless something else, the owner's own rights or an ACL, allows it).
	NoMatch Decision = iota
	// Allow: an Allow statement matches and no Deny does.
	Allow
	// Deny: a Deny statement matches; nothing can override it.
	Deny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NoMatch"
}

// Request is what evaluation knows of one S3 request for one action.
type Request struct {
	Action    string // "s3:GetObject"; OperationActions gives the actions of an operation
	Bucket    string // the bare bucket name, without the tenant of a "tenant:bucket" address
	Key       string // object key, required for object actions; ignored for bucket actions
	Principal string // the authenticated tenant; "" for an anonymous request

	// Global condition keys.
	SourceIP  netip.Addr // aws:SourceIp; absent when invalid
	Secure    bool       // aws:SecureTransport (TLS)
	Time      time.Time  // aws:CurrentTime and aws:EpochTime; absent when zero
	UserAgent string     // aws:UserAgent; absent when empty
	Referer   string     // aws:Referer; absent when empty

	// Values holds the s3: condition keys the request carries, such as
	// "s3:prefix", "s3:max-keys", "s3:x-amz-acl", "s3:VersionId",
	// "s3:signatureversion" ("AWS" or "AWS4-HMAC-SHA256"), "s3:authType"
	// ("REST-HEADER", "REST-QUERY-STRING", "POST"). Names match without
	// case. Set a key only when the request carries it: a ListObjects
	// without a prefix parameter has no s3:prefix.
	Values map[string][]string
	// ExistingObjectTags are the tags of the object the request acts on,
	// for s3:ExistingObjectTag/<key>; tag keys are case-sensitive.
	ExistingObjectTags map[string]string
}

// Names of the s3: condition keys the S3 layer puts in Request.Values.
const (
	KeyPrefix           = "s3:prefix"
	KeyDelimiter        = "s3:delimiter"
	KeyMaxKeys          = "s3:max-keys"
	KeyACL              = "s3:x-amz-acl"
	KeyVersionID        = "s3:VersionId"
	KeySignatureVersion = "s3:signatureversion" // "AWS" (V2) or "AWS4-HMAC-SHA256"
	KeyAuthType         = "s3:authType"         // "REST-HEADER", "REST-QUERY-STRING" or "POST"
)

// resource returns the request's resource path, "bucket" or "bucket/key",
// by the level of its action: that is what keeps a bucket/* resource from
// ever matching a bucket action and a bucket resource from matching an
// object action.
func (r *Request) resource() string {
	if ActionLevel(r.Action) == LevelObject {
		return r.Bucket + "/" + r.Key
	}
	return r.Bucket
}

// requestContext resolves condition keys (normalized by normalizeKey) to
// the request's values.
type requestContext struct{ r *Request }

func (c requestContext) lookup(key string) ([]string, bool) {
	r := c.r
	switch key {
	case "aws:sourceip":
		if !r.SourceIP.IsValid() {
			return nil, false
		}
		return []string{r.SourceIP.Unmap().String()}, true
	case "aws:securetransport":
		return []string{strconv.FormatBool(r.Secure)}, true
	case "aws:currenttime":
		if r.Time.IsZero() {
			return nil, false
		}
		return []string{r.Time.UTC().Format(time.RFC3339)}, true
	case "aws:epochtime":
		if r.Time.IsZero() {
			return nil, false
		}
		return []string{strconv.FormatInt(r.Time.Unix(), 10)}, true
	case "aws:useragent":
		return nonEmpty(r.UserAgent)
	case "aws:referer":
		return nonEmpty(r.Referer)
	case "aws:principaltype":
		if r.Principal == "" {
			return []string{"Anonymous"}, true
		}
		return []string{"Account"}, true
	case "aws:principalaccount":
		return nonEmpty(r.Principal)
	}
	if tag, ok := strings.CutPrefix(key, "s3:existingobjecttag/"); ok {
		v, ok := r.ExistingObjectTags[tag]
		if !ok {
			return nil, false
		}
		return []string{v}, true
	}
	for k, v := range r.Values {
		if normalizeKey(k) == key {
			return v, len(v) > 0
		}
	}
	return nil, false
}

func nonEmpty(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	return []string{s}, true
}

// Evaluate decides the request against the policy: Deny if any matching
// statement denies (explicit deny wins), else Allow if any matching
// statement allows, else NoMatch. A statement matches when its principal,
// action, resource and every condition match. A nil policy matches nothing.
func (p *Policy) Evaluate(r Request) Decision {
	if p == nil || ActionLevel(r.Action) == LevelObject && r.Key == "" {
		return NoMatch // an object action without a key names no resource
	}
	return evaluate(p.Statements, &r)
}

func evaluate(statements []Statement, r *Request) Decision {
	d := NoMatch
	action := strings.ToLower(r.Action)
	for i := range statements {
		s := &statements[i]
		if !s.matches(r, action) {
			continue
		}
		if s.Effect == EffectDeny {
			return Deny
		}
		d = Allow
	}
	return d
}

// matches reports whether the statement applies to r; action is r.Action
// in lower case.
func (s *Statement) matches(r *Request, action string) bool {
	if !s.Principal.matches(r.Principal) {
		return false
	}
	hit := false
	for _, a := range s.actions {
		if Match(a, action) {
			hit = true
			break
		}
	}
	if hit == s.NotAction {
		return false
	}
	res := r.resource()
	hit = false
	for _, rs := range s.resources {
		if rs.matches(res) {
			hit = true
			break
		}
	}
	if hit == s.NotResource {
		return false
	}
	ctx := requestContext{r}
	for i := range s.Conditions {
		if !s.Conditions[i].holds(ctx) {
			return false
		}
	}
	return true
}

func (p Principal) matches(tenant string) bool {
	if p.Any {
		return true
	}
	if tenant == "" {
		return false
	}
	if p.Authenticated {
		return true
	}
	for _, t := range p.Tenants {
		if t == tenant {
			return true
		}
	}
	return false
}

// EvaluateAll decides several actions on the same resource (an operation's
// Needs without Source): Deny if any is denied, Allow only if all are
// allowed, else NoMatch.
func (p *Policy) EvaluateAll(r Request, actions []string) Decision {
	d := Allow
	if len(actions) == 0 {
		return NoMatch
	}
	for _, a := range actions {
		r.Action = a
		switch p.Evaluate(r) {
		case Deny:
			return Deny
		case NoMatch:
			d = NoMatch
		}
	}
	return d
}
