package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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
	// text is the condition as S3 quotes it in a failure message, with the
	// field name as the policy wrote it.
	text string
}

// ParsePolicy decodes the base64 policy form field. Errors are
// InvalidPolicyDocument *Error values.
func ParsePolicy(b64 string) (*Policy, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, invalidPolicy("Invalid Base64 Encoding.")
	}
	var doc struct {
		Expiration *string            `json:"expiration"`
		Conditions *[]json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, invalidPolicy("Invalid JSON.")
	}
	if doc.Expiration == nil {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	exp, err := time.Parse(time.RFC3339Nano, *doc.Expiration)
	if err != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '" + *doc.Expiration + "'")
	}
	if doc.Conditions == nil {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	p := &Policy{Expiration: exp}
	for _, c := range *doc.Conditions {
		cond, err := parseCondition(c)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, cond)
	}
	return p, nil
}

// parseCondition parses one condition: an object with one string property,
// or an array [op, "$field", value] / ["content-length-range", min, max].
func parseCondition(c json.RawMessage) (Condition, error) {
	c = bytes.TrimSpace(c)
	if len(c) > 0 && c[0] == '{' {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(c, &obj); err != nil {
			return Condition{}, invalidPolicy("Invalid JSON.")
		}
		if len(obj) != 1 {
			return Condition{}, invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
		}
		for name, v := range obj {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return Condition{}, invalidPolicy("Invalid Simple-Condition: value must be a string.")
			}
			return Condition{Op: opEq, Field: strings.ToLower(name), Value: s, text: quoteCondition(opEq, "$"+name, s)}, nil
		}
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(c, &arr); err != nil {
		return Condition{}, invalidPolicy("Invalid Condition: a condition must be an object or an array.")
	}
	if len(arr) != 3 {
		return Condition{}, invalidPolicy("Invalid Condition: a condition array must have 3 elements.")
	}
	var op string
	if err := json.Unmarshal(arr[0], &op); err != nil {
		return Condition{}, invalidPolicy("Invalid Condition: the operation must be a string.")
	}
	switch strings.ToLower(op) {
	case opLengthRange:
		lo, ok1 := lengthBound(arr[1])
		hi, ok2 := lengthBound(arr[2])
		if !ok1 || !ok2 || lo > hi {
			return Condition{}, invalidPolicy("Invalid content-length-range: bounds must be integers with 0 <= min <= max.")
		}
		return Condition{Op: opLengthRange, Min: lo, Max: hi}, nil
	case opEq, opStartsWith:
		var field, value string
		if json.Unmarshal(arr[1], &field) != nil || !strings.HasPrefix(field, "$") || len(field) == 1 {
			return Condition{}, invalidPolicy("Invalid Condition: the field must be a string starting with '$'.")
		}
		if json.Unmarshal(arr[2], &value) != nil {
			return Condition{}, invalidPolicy("Invalid Condition: the value must be a string.")
		}
		o := strings.ToLower(op)
		return Condition{Op: o, Field: strings.ToLower(field[1:]), Value: value, text: quoteCondition(op, field, value)}, nil
	default:
		return Condition{}, invalidPolicy("Invalid Condition: unknown operation '" + op + "'.")
	}
}

// lengthBound parses a content-length-range bound: a non-negative JSON
// integer, or a string of digits (some SDKs quote it).
func lengthBound(v json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(v, &s) != nil {
		s = string(v)
	}
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
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
