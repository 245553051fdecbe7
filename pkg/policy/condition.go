package policy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition is one operator/key pair of a statement's Condition block with
// the policy values it compares the request's values against.
type Condition struct {
	Operator string   // as written: "StringLike", "ForAnyValue:StringEqualsIfExists"
	Key      string   // as written: "aws:SourceIp", "s3:ExistingObjectTag/project"
	Values   []string // numbers and booleans in the document become their text

	base     string // Operator without set qualifier and IfExists
	ifExists bool
	set      string // "", "ForAnyValue" or "ForAllValues"
	key      string // Key normalized for lookup (see normalizeKey)
	prefixes []netip.Prefix
	numbers  []float64
	times    []time.Time
}

// operatorKind groups the base operators by how they compare.
type operatorKind int

const (
	kindString operatorKind = iota
	kindNumeric
	kindDate
	kindBool
	kindIP
	kindArn
	kindNull
)

type operatorInfo struct {
	kind    operatorKind
	negated bool // true when the operator is the negation of a positive match
}

// operators are the condition operators Coffer evaluates.
var operators = map[string]operatorInfo{
	"StringEquals":              {kindString, false},
	"StringNotEquals":           {kindString, true},
	"StringEqualsIgnoreCase":    {kindString, false},
	"StringNotEqualsIgnoreCase": {kindString, true},
	"StringLike":                {kindString, false},
	"StringNotLike":             {kindString, true},
	"NumericEquals":             {kindNumeric, false},
	"NumericNotEquals":          {kindNumeric, true},
	"NumericLessThan":           {kindNumeric, false},
	"NumericLessThanEquals":     {kindNumeric, false},
	"NumericGreaterThan":        {kindNumeric, false},
	"NumericGreaterThanEquals":  {kindNumeric, false},
	"DateEquals":                {kindDate, false},
	"DateNotEquals":             {kindDate, true},
	"DateLessThan":              {kindDate, false},
	"DateLessThanEquals":        {kindDate, false},
	"DateGreaterThan":           {kindDate, false},
	"DateGreaterThanEquals":     {kindDate, false},
	"Bool":                      {kindBool, false},
	"IpAddress":                 {kindIP, false},
	"NotIpAddress":              {kindIP, true},
	"ArnEquals":                 {kindArn, false},
	"ArnLike":                   {kindArn, false},
	"ArnNotEquals":              {kindArn, true},
	"ArnNotLike":                {kindArn, true},
	"Null":                      {kindNull, false},
}

// knownS3Keys are the s3: condition keys AWS defines that a bucket policy
// may name (lower case). Coffer evaluates the ones the S3 layer supplies in
// Request.Values; the others are simply absent from requests.
var knownS3Keys = map[string]bool{
	"s3:prefix": true, "s3:delimiter": true, "s3:max-keys": true,
	"s3:x-amz-acl": true, "s3:versionid": true, "s3:signatureversion": true,
	"s3:authtype": true, "s3:signatureage": true, "s3:x-amz-content-sha256": true,
	"s3:x-amz-copy-source": true, "s3:x-amz-metadata-directive": true,
	"s3:x-amz-server-side-encryption": true, "s3:x-amz-server-side-encryption-aws-kms-key-id": true,
	"s3:x-amz-server-side-encryption-customer-algorithm": true,
	"s3:x-amz-storage-class":                             true, "s3:x-amz-website-redirect-location": true,
	"s3:x-amz-grant-read": true, "s3:x-amz-grant-write": true, "s3:x-amz-grant-read-acp": true,
	"s3:x-amz-grant-write-acp": true, "s3:x-amz-grant-full-control": true,
	"s3:locationconstraint": true, "s3:object-lock-mode": true,
	"s3:object-lock-retain-until-date": true, "s3:object-lock-remaining-retention-days": true,
	"s3:object-lock-legal-hold": true, "s3:requestobjecttagkeys": true, "s3:tlsversion": true,
	"s3:resourceaccount": true, "s3:x-amz-object-ownership": true, "s3:checksumalgorithm": true,
	"s3:if-match": true, "s3:if-none-match": true, "s3:accesspointnetworkorigin": true,
	"s3:dataaccesspointaccount": true, "s3:dataaccesspointarn": true, "s3:accessgrantsinstancearn": true,
}

// knownS3KeyPrefixes are the s3: keys that take a tag key after a slash.
var knownS3KeyPrefixes = []string{"s3:existingobjecttag/", "s3:requestobjecttag/"}

// normalizeKey lower-cases a condition key's name, which AWS matches
// without case, but keeps a tag key after the slash as written: tag keys
// are case-sensitive.
func normalizeKey(key string) string {
	name, tag, tagged := strings.Cut(key, "/")
	if !tagged {
		return strings.ToLower(key)
	}
	return strings.ToLower(name) + "/" + tag
}

// validKey reports whether a bucket policy may name key: every aws: key is
// accepted (as AWS does; the ones Coffer does not supply are absent), s3:
// keys must be ones S3 defines, and nothing else is.
func validKey(key string) bool {
	k := normalizeKey(key)
	switch {
	case strings.HasPrefix(k, "aws:"):
		return len(k) > len("aws:")
	case knownS3Keys[k]:
		return true
	}
	for _, p := range knownS3KeyPrefixes {
		if strings.HasPrefix(k, p) && len(k) > len(p) {
			return true
		}
	}
	return false
}

// compileCondition checks an operator, key and values and precomputes what
// evaluation compares with.
func compileCondition(op, key string, values []string) (Condition, error) {
	c := Condition{Operator: op, Key: key, Values: values}
	base := op
	for _, q := range []string{"ForAnyValue:", "ForAllValues:"} {
		if strings.HasPrefix(base, q) {
			c.set = strings.TrimSuffix(q, ":")
			base = strings.TrimPrefix(base, q)
			break
		}
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok && b != "Null" {
		c.ifExists = true
		base = b
	}
	info, ok := operators[base]
	if !ok {
		if base == "BinaryEquals" {
			return c, unsupported(reasonUnsupportedCondOp + op)
		}
		return c, malformed(reasonInvalidConditionTy + op)
	}
	if info.kind == kindNull && (c.set != "" || c.ifExists) {
		return c, malformed(reasonInvalidConditionTy + op)
	}
	c.base = base
	if !validKey(key) {
		return c, malformed(reasonInvalidCondKey)
	}
	c.key = normalizeKey(key)
	if len(values) == 0 {
		return c, malformed(reasonInvalidCondValue + op)
	}
	for _, v := range values {
		switch info.kind {
		case kindIP:
			p, err := parsePrefix(v)
			if err != nil {
				return c, malformed(reasonInvalidIP)
			}
			c.prefixes = append(c.prefixes, p)
		case kindNumeric:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return c, malformed(reasonInvalidCondValue + op)
			}
			c.numbers = append(c.numbers, n)
		case kindDate:
			t, ok := parseDate(v)
			if !ok {
				return c, malformed(reasonInvalidCondValue + op)
			}
			c.times = append(c.times, t)
		case kindBool, kindNull:
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				return c, malformed(reasonInvalidCondValue + op)
			}
		}
	}
	return c, nil
}

// parsePrefix accepts a CIDR block or a single address (a /32 or /128).
func parsePrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return p, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseDate accepts the ISO 8601 forms policies use and epoch seconds.
func parseDate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}

// holds evaluates the condition against the request's values for its key.
func (c *Condition) holds(ctx requestContext) bool {
	info := operators[c.base]
	vals, present := ctx.lookup(c.key)
	if info.kind == kindNull {
		// {"Null": {"k": "true"}} holds when k is absent.
		want := strings.EqualFold(c.Values[0], "true")
		for _, v := range c.Values[1:] {
			if strings.EqualFold(v, "true") != want {
				return false
			}
		}
		return want == !present
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == "ForAllValues":
			return true // every one of no values matches
		case c.set == "ForAnyValue":
			return false
		}
		// A negated operator holds for a missing key, as in AWS.
		return info.negated
	}
	one := func(v string) bool { return c.matchesAny(info.kind, v) != info.negated }
	if c.set == "ForAllValues" {
		for _, v := range vals {
			if !one(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if one(v) {
			return true
		}
	}
	return false
}

// matchesAny reports whether the request value v matches any policy value
// under the positive form of the operator.
func (c *Condition) matchesAny(kind operatorKind, v string) bool {
	switch kind {
	case kindString, kindArn:
		for _, pv := range c.Values {
			switch c.base {
			case "StringEquals", "StringNotEquals":
				if v == pv {
					return true
				}
			case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
				if strings.EqualFold(v, pv) {
					return true
				}
			default: // StringLike, StringNotLike and the Arn operators take wildcards
				if Match(pv, v) {
					return true
				}
			}
		}
	case kindBool:
		for _, pv := range c.Values {
			if strings.EqualFold(v, pv) {
				return true
			}
		}
	case kindIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.prefixes {
			if p.Contains(a) {
				return true
			}
		}
	case kindNumeric:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for _, pn := range c.numbers {
			if compare(c.base, cmpFloat(n, pn)) {
				return true
			}
		}
	case kindDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, pt := range c.times {
			if compare(c.base, t.Compare(pt)) {
				return true
			}
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare applies a Numeric/Date operator to the sign of request - policy.
// The Not...Equals operators compare as Equals: holds negates them.
func compare(base string, sign int) bool {
	switch {
	case strings.HasSuffix(base, "LessThanEquals"):
		return sign <= 0
	case strings.HasSuffix(base, "LessThan"):
		return sign < 0
	case strings.HasSuffix(base, "GreaterThanEquals"):
		return sign >= 0
	case strings.HasSuffix(base, "GreaterThan"):
		return sign > 0
	}
	return sign == 0
}
