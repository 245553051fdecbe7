package policy

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// Parse parses and validates a bucket policy document for bucket, owned by
// tenant owner, and returns an error wrapping ErrMalformedPolicy (or
// ErrUnsupported) with AWS's reason when the document is refused. Every
// Resource must name bucket or its objects; every principal must be "*" or
// the owner (a bucket is only reachable in its owner's namespace).
func Parse(doc []byte, bucket, owner string) (*Policy, error) {
	if len(doc) > MaxDocumentBytes {
		return nil, malformed(reasonTooLarge)
	}
	trimmed := bytes.TrimLeft(doc, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, malformed(reasonFirstByte)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		return nil, malformed(reasonInvalidJSON)
	}
	if compact.Len() > MaxSize {
		return nil, malformed(reasonTooLarge)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, malformed(reasonInvalidJSON)
	}
	p := &Policy{Version: Version2008}
	for name, raw := range top {
		switch name {
		case "Version":
			if err := json.Unmarshal(raw, &p.Version); err != nil || p.Version != Version2012 && p.Version != Version2008 {
				return nil, malformed(reasonInvalidVersion)
			}
		case "Id":
			if err := json.Unmarshal(raw, &p.ID); err != nil {
				return nil, malformed(reasonInvalidJSON)
			}
		case "Statement":
		default:
			return nil, malformed(reasonUnknownField(name))
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, malformed(reasonMissingStatement)
	}
	var stmts []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		stmts = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &stmts); err != nil {
		return nil, malformed(reasonInvalidJSON)
	}
	if len(stmts) == 0 {
		return nil, malformed(reasonEmptyStatement)
	}
	for _, raw := range stmts {
		s, err := parseStatement(raw, bucket, owner)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage, bucket, owner string) (Statement, error) {
	var s Statement
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return s, malformed(reasonInvalidJSON)
	}
	for name := range fields {
		switch name {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
		default:
			return s, malformed(reasonUnknownField(name))
		}
	}
	if raw, ok := fields["Sid"]; ok {
		if err := json.Unmarshal(raw, &s.Sid); err != nil {
			return s, malformed(reasonInvalidJSON)
		}
	}
	raw, ok := fields["Effect"]
	if !ok {
		return s, malformed(reasonMissingEffect)
	}
	if err := json.Unmarshal(raw, &s.Effect); err != nil {
		return s, malformed(reasonInvalidJSON)
	}
	if s.Effect != EffectAllow && s.Effect != EffectDeny {
		return s, malformed(reasonInvalidEffect(string(s.Effect)))
	}
	if _, ok := fields["NotPrincipal"]; ok {
		return s, unsupported(reasonNotPrincipal)
	}
	raw, ok = fields["Principal"]
	if !ok {
		return s, malformed(reasonMissingPrincipal)
	}
	var err error
	if s.Principal, err = parsePrincipal(raw, owner); err != nil {
		return s, err
	}
	if s.Actions, s.NotAction, err = stringsField(fields, "Action", "NotAction", reasonMissingAction); err != nil {
		return s, err
	}
	for _, a := range s.Actions {
		if !validActionPattern(a) {
			return s, malformed(reasonInvalidAction)
		}
	}
	s.actions = lowerAll(s.Actions)
	if s.Resources, s.NotResource, err = stringsField(fields, "Resource", "NotResource", reasonMissingResource); err != nil {
		return s, err
	}
	for _, r := range s.Resources {
		path, ok := strings.CutPrefix(r, s3ARNPrefix)
		if !ok {
			return s, malformed(reasonInvalidResource)
		}
		if b, _, _ := strings.Cut(path, "/"); b != bucket {
			return s, malformed(reasonInvalidResource)
		}
		s.resources = append(s.resources, resource{path: path})
	}
	if raw, ok := fields["Condition"]; ok {
		if s.Conditions, err = parseConditions(raw); err != nil {
			return s, err
		}
	}
	if !s.NotAction && !s.NotResource {
		if err := checkActionsApply(s.Actions, s.resources); err != nil {
			return s, err
		}
	}
	return s, nil
}

// parsePrincipal accepts "*", {"AWS": "*"} and {"AWS": [...]} naming "*" or
// the owner tenant.
func parsePrincipal(raw json.RawMessage, owner string) (Principal, error) {
	var p Principal
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return p, malformed(reasonInvalidPrincipal)
		}
		p.Any = true
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return p, malformed(reasonInvalidJSON)
	}
	if len(m) == 0 {
		return p, malformed(reasonInvalidPrincipal)
	}
	for kind, raw := range m {
		// CanonicalUser is accepted for the owner only: Coffer's canonical
		// user id (the ACL Owner ID) is the tenant name.
		if kind != "AWS" && kind != "CanonicalUser" {
			return p, malformed(reasonInvalidPrincipal)
		}
		names, err := stringOrList(raw)
		if err != nil {
			return p, err
		}
		if len(names) == 0 {
			return p, malformed(reasonInvalidPrincipal)
		}
		for _, n := range names {
			if n == "*" && kind == "AWS" {
				p.Any = true
				continue
			}
			t := n
			if kind == "AWS" {
				t = tenantFromPrincipal(n)
			}
			if t == "" || t != owner {
				return p, malformed(reasonInvalidPrincipal)
			}
			if !contains(p.Tenants, t) {
				p.Tenants = append(p.Tenants, t)
			}
		}
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stringsField reads the one of name / notName a statement holds; holding
// both is malformed, holding neither gives missing.
func stringsField(fields map[string]json.RawMessage, name, notName, missing string) ([]string, bool, error) {
	raw, has := fields[name]
	notRaw, hasNot := fields[notName]
	switch {
	case has && hasNot:
		return nil, false, malformed(reasonInvalidJSON)
	case hasNot:
		raw = notRaw
	case !has:
		return nil, false, malformed(missing)
	}
	list, err := stringOrList(raw)
	if err != nil {
		return nil, false, err
	}
	if len(list) == 0 {
		return nil, false, malformed(missing)
	}
	return list, hasNot, nil
}

// stringOrList decodes a JSON string or array of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, malformed(reasonInvalidJSON)
	}
	return list, nil
}

// validActionPattern: "*", or "s3:" (any case) followed by a pattern that
// names at least one S3 action.
func validActionPattern(a string) bool {
	if a == "*" {
		return true
	}
	if len(a) < 3 || !strings.EqualFold(a[:3], "s3:") {
		return false
	}
	_, any := actionLevelsMatching(a)
	return any
}

// checkActionsApply refuses a statement with an action that applies to
// none of its resources, as AWS does: s3:GetObject needs a bucket/... resource,
// s3:ListBucket the bucket itself.
func checkActionsApply(actions []string, resources []resource) error {
	var haveBucket, haveObject bool
	for _, r := range resources {
		if r.object() {
			haveObject = true
		} else {
			haveBucket = true
		}
	}
	for _, a := range actions {
		levels, _ := actionLevelsMatching(a)
		if levels[LevelBucket] && haveBucket || levels[LevelObject] && haveObject {
			continue
		}
		return malformed(reasonActionNotApply)
	}
	return nil
}

// parseConditions reads {"Operator": {"key": value-or-values}}, values being
// strings, numbers or booleans. Conditions are kept sorted by operator and
// key so that a policy marshals the same way every time.
func parseConditions(raw json.RawMessage) ([]Condition, error) {
	var block map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil || block == nil {
		return nil, malformed(reasonInvalidJSON)
	}
	var conds []Condition
	for op, raw := range block {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil || keys == nil {
			return nil, malformed(reasonInvalidJSON)
		}
		for key, raw := range keys {
			values, err := conditionValues(raw)
			if err != nil {
				return nil, err
			}
			c, err := compileCondition(op, key, values)
			if err != nil {
				return nil, err
			}
			conds = append(conds, c)
		}
	}
	sort.Slice(conds, func(i, j int) bool {
		if conds[i].Operator != conds[j].Operator {
			return conds[i].Operator < conds[j].Operator
		}
		return conds[i].Key < conds[j].Key
	})
	return conds, nil
}

// conditionValues decodes a condition value: a scalar or a list of scalars.
func conditionValues(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, malformed(reasonInvalidJSON)
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case json.Number:
			out = append(out, x.String())
		case bool:
			if x {
				out = append(out, "true")
			} else {
				out = append(out, "false")
			}
		default:
			return nil, malformed(reasonInvalidJSON)
		}
	}
	return out, nil
}
