package policy

import "strings"

// Versions of the policy language AWS accepts; a document without Version
// is of the older one, as on AWS.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// MaxSize is AWS's limit on a bucket policy, counted without the
// whitespace between JSON tokens; MaxDocumentBytes bounds the raw document
// (with its whitespace) the S3 layer reads and Parse accepts.
const (
	MaxSize          = 20 * 1024
	MaxDocumentBytes = 64 * 1024
)

// Effect is a statement's Effect.
type Effect string

const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// Policy is a parsed, validated bucket policy.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy. Actions holds the Action (or,
// with NotAction set, the NotAction) patterns as written; Resources the
// Resource (or NotResource) ARNs as written.
type Statement struct {
	Sid         string
	Effect      Effect
	Principal   Principal
	Actions     []string
	NotAction   bool
	Resources   []string
	NotResource bool
	Conditions  []Condition

	actions   []string   // Actions in lower case, as they are matched
	resources []resource // compiled Resources
}

func lowerAll(list []string) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = strings.ToLower(a)
	}
	return out
}

// Principal is who a statement applies to. In a bucket policy a Coffer
// tenant is named as an AWS account: "arn:aws:iam::<tenant>:root" or the
// bare tenant name, inside {"AWS": ...}; "*" and {"AWS": "*"} name everyone,
// anonymous requests included.
type Principal struct {
	Any     bool
	Tenants []string
	// Authenticated is every authenticated tenant: the AuthenticatedUsers
	// group of canned ACLs; a policy document cannot express it.
	Authenticated bool
}

// TenantARN is how a tenant is named as a principal in the documents Coffer
// writes.
func TenantARN(tenant string) string { return "arn:aws:iam::" + tenant + ":root" }

// tenantFromPrincipal returns the tenant a principal string names, or "".
func tenantFromPrincipal(s string) string {
	if rest, ok := strings.CutPrefix(s, "arn:aws:iam::"); ok {
		t, ok := strings.CutSuffix(rest, ":root")
		if !ok || !validTenantName(t) {
			return ""
		}
		return t
	}
	if validTenantName(s) {
		return s
	}
	return ""
}

// validTenantName mirrors storage's rule (3-63 lower-case letters, digits,
// hyphens, starting and ending with a letter or digit) without importing it.
func validTenantName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s[0] != '-' && s[len(s)-1] != '-'
}

const s3ARNPrefix = "arn:aws:s3:::"

// resource is a compiled Resource: the path after "arn:aws:s3:::", matched
// with wildcards unless literal (the exact object of an object ACL).
type resource struct {
	path    string
	literal bool
}

func (r resource) matches(path string) bool {
	if r.literal {
		return r.path == path
	}
	return Match(r.path, path)
}

// object reports whether the resource names objects (bucket/key-pattern)
// rather than the bucket itself.
func (r resource) object() bool { return strings.Contains(r.path, "/") }
