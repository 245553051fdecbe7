package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Condition operators.
const (
	opEq          = "eq"
	opStartsWith  = "starts-with"
	opLengthRange = "content-length-range"
)

// Policy is a decoded POST policy document.
type Policy struct {
	Expiration time.Time
	Conditions []Condition
}

// Condition is one entry of a policy's conditions: an exact match or
// prefix match on a field, or a content-length-range.
type Condition struct {
	// Op is "eq", "starts-with" or "content-length-range"; the object form
	// {"field": "value"} is "eq".
	Op string
	// Field is the lower-cased field name without its '$'; "" for a range.
	Field string
	// Value is the value or prefix to match.
	Value string
	// Min and Max bound the file size of a content-length-range.
	Min, Max int64
	// never marks a condition S3 accepts in a policy but no form can meet:
	// a field name without '$', a range bound that is not a number.
	never bool
	// text is the condition as S3 quotes it in a failure message, with the
	// field name as the policy wrote it.
	text string
}

// ParsePolicy decodes the base64 policy form field. Errors are
// InvalidPolicyDocument *Error values worded as S3's ("Invalid Policy: ...").
func ParsePolicy(b64 string) (*Policy, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, invalidPolicy("invalid Base64 encoding.")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		return nil, invalidPolicy("Invalid JSON.")
	}
	// Member names are case-sensitive in S3 ("EXPIRATION" is refused).
	var unexpected []string
	for k := range doc {
		if k != "expiration" && k != "conditions" {
			unexpected = append(unexpected, strings.ToLower(k))
		}
	}
	if len(unexpected) > 0 {
		sort.Strings(unexpected)
		return nil, invalidPolicy("Unexpected: '" + unexpected[0] + "'")
	}
	expRaw, ok := doc["expiration"]
	if !ok {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	exp, err := parseExpiration(expRaw)
	if err != nil {
		return nil, err
	}
	condRaw, ok := doc["conditions"]
	if !ok {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	var conds []json.RawMessage
	if err := json.Unmarshal(condRaw, &conds); err != nil || conds == nil {
		return nil, invalidPolicy("Invalid 'conditions' value: must be a List.")
	}
	p := &Policy{Expiration: exp}
	for _, c := range conds {
		cond, err := parseCondition(c)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, cond)
	}
	return p, nil
}

// parseExpiration accepts an ISO 8601 UTC time with a Z suffix, with or
// without fractional seconds; S3 refuses offsets and a space for the T.
func parseExpiration(raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(raw)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		return time.Time{}, invalidPolicy("Invalid 'expiration' value: '" + s + "'")
	}
	return t, nil
}

// parseCondition parses one condition: an object with one string property,
// or an array [op, "$field", value] / ["content-length-range", min, max].
func parseCondition(c json.RawMessage) (Condition, error) {
	c = bytes.TrimSpace(c)
	switch {
	case len(c) > 0 && c[0] == '{':
		return parseSimple(c)
	case len(c) > 0 && c[0] == '[':
		return parseArray(c)
	}
	return Condition{}, invalidPolicy("Invalid condition test: must be a List or Object.")
}

func parseSimple(c json.RawMessage) (Condition, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(c, &obj); err != nil {
		return Condition{}, invalidPolicy("Invalid JSON.")
	}
	if len(obj) != 1 {
		return Condition{}, invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
	}
	for name, v := range obj {
		if string(bytes.TrimSpace(v)) == "null" {
			return Condition{}, invalidPolicy("Invalid JSON.")
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return Condition{}, invalidPolicy("Invalid Simple-Condition: value must be a string.")
		}
		// S3 quotes a failed simple condition as an eq array.
		return Condition{Op: opEq, Field: strings.ToLower(name), Value: s, text: quoteCondition(opEq, "$"+name, s)}, nil
	}
	panic("unreachable")
}

func parseArray(c json.RawMessage) (Condition, error) {
	var arr []json.RawMessage
	if err := json.Unmarshal(c, &arr); err != nil {
		return Condition{}, invalidPolicy("Invalid JSON.")
	}
	var op string
	if len(arr) == 0 || json.Unmarshal(arr[0], &op) != nil {
		return Condition{}, invalidPolicy("Invalid Condition: missing operation identifier.")
	}
	lop := strings.ToLower(op)
	if lop != opEq && lop != opStartsWith && lop != opLengthRange {
		return Condition{}, invalidPolicy("Invalid Condition: unknown operation '" + op + "'.")
	}
	if len(arr) != 3 {
		return Condition{}, invalidPolicy("Invalid " + op + ": wrong number of arguments.")
	}
	if lop == opLengthRange {
		return parseRange(op, arr[1], arr[2])
	}
	var field, value string
	if json.Unmarshal(arr[1], &field) != nil || json.Unmarshal(arr[2], &value) != nil {
		return Condition{}, invalidPolicy("Invalid JSON.")
	}
	cond := Condition{Op: lop, Value: value, text: quoteCondition(op, field, value)}
	if name, ok := strings.CutPrefix(field, "$"); ok && name != "" {
		cond.Field = strings.ToLower(name)
	} else {
		cond.never = true // S3 accepts the policy and fails the condition
	}
	return cond, nil
}

// parseRange parses content-length-range bounds: non-negative JSON integers
// or strings of digits (S3 accepts both). A float is invalid JSON to S3;
// any other string makes a condition that fails, as in S3.
func parseRange(op string, lo, hi json.RawMessage) (Condition, error) {
	cond := Condition{Op: opLengthRange, text: "[" + jsonString(op) + ", " + compact(lo) + ", " + compact(hi) + "]"}
	var ok1, ok2 bool
	var err error
	if cond.Min, ok1, err = lengthBound(lo); err != nil {
		return Condition{}, err
	}
	if cond.Max, ok2, err = lengthBound(hi); err != nil {
		return Condition{}, err
	}
	if !ok1 || !ok2 {
		cond.never = true
		return cond, nil
	}
	if cond.Min > cond.Max {
		return Condition{}, invalidPolicy("Invalid content-length-range: the minimum exceeds the maximum.")
	}
	return cond, nil
}

// lengthBound parses one bound; ok is false for a string that is not a
// number.
func lengthBound(v json.RawMessage) (n int64, ok bool, err error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0 && s[0] != '+', nil
	}
	var num json.Number
	if json.Unmarshal(v, &num) != nil {
		return 0, false, invalidPolicy("Invalid JSON.")
	}
	n, err = strconv.ParseInt(num.String(), 10, 64)
	if err != nil {
		return 0, false, invalidPolicy("Invalid JSON.") // a float, or out of range
	}
	if n < 0 {
		return 0, false, invalidPolicy("Invalid content-length-range: bounds must not be negative.")
	}
	return n, true, nil
}

// quoteCondition renders a condition as S3 quotes it in
// "Policy Condition failed: [...]".
func quoteCondition(op, field, value string) string {
	return "[" + jsonString(op) + ", " + jsonString(field) + ", " + jsonString(value) + "]"
}

func jsonString(s string) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}
