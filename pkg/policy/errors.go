package policy

import "errors"

// ErrMalformedPolicy is returned (wrapped in a *MalformedError) when a bucket
// policy document breaks the policy grammar or names something it may not;
// the S3 layer answers MalformedPolicy with the error's Reason.
var ErrMalformedPolicy = errors.New("policy: malformed policy")

// ErrUnsupported is returned (wrapped in a *MalformedError) when a document
// is well formed but uses an element Coffer does not implement (NotPrincipal,
// a condition operator outside the supported set); the S3 layer answers
// NotImplemented.
var ErrUnsupported = errors.New("policy: unsupported policy element")

// ErrInvalidCannedACL is returned when an x-amz-acl value is not a canned ACL
// name; the S3 layer answers InvalidArgument.
var ErrInvalidCannedACL = errors.New("policy: invalid canned ACL")

// MalformedError carries the reason a document was refused, worded as AWS
// words its MalformedPolicy messages, so clients and tools that match on
// them keep working.
type MalformedError struct {
	Reason      string
	unsupported bool
}

func (e *MalformedError) Error() string { return "policy: " + e.Reason }

// Is lets errors.Is(err, ErrMalformedPolicy) and errors.Is(err,
// ErrUnsupported) classify the error without a type switch.
func (e *MalformedError) Is(target error) bool {
	if e.unsupported {
		return target == ErrUnsupported
	}
	return target == ErrMalformedPolicy
}

func malformed(reason string) error { return &MalformedError{Reason: reason} }

func unsupported(reason string) error { return &MalformedError{Reason: reason, unsupported: true} }

// The reasons below are AWS's own MalformedPolicy wordings (as S3 returns
// them); the few Coffer adds where AWS's is unknown are marked.
const (
	reasonInvalidJSON        = "This policy contains invalid Json"
	reasonFirstByte          = "Policies must be valid JSON and the first byte must be '{'"
	reasonTooLarge           = "Policy exceeds the maximum allowed document size."
	reasonMissingStatement   = "Missing required field Statement"
	reasonEmptyStatement     = "Could not parse the policy: Statement is empty!"
	reasonInvalidVersion     = "The policy must contain a valid version string"
	reasonMissingEffect      = "Missing required field Effect"
	reasonMissingPrincipal   = "Missing required field Principal"
	reasonMissingAction      = "Missing required field Action"
	reasonMissingResource    = "Missing required field Resource"
	reasonInvalidPrincipal   = "Invalid principal in policy"
	reasonInvalidAction      = "Policy has invalid action"
	reasonInvalidResource    = "Policy has invalid resource"
	reasonActionNotApply     = "Action does not apply to any resource(s) in statement"
	reasonInvalidCondKey     = "Policy has an invalid condition key"
	reasonInvalidIP          = "Invalid IP address in Conditions"
	reasonInvalidCondValue   = "Invalid Condition value for operator " // Coffer's wording, + operator
	reasonNotPrincipal       = "NotPrincipal is not supported"         // Coffer's wording
	reasonUnsupportedCondOp  = "Condition type is not supported: "     // Coffer's wording, + operator
	reasonInvalidConditionTy = "Invalid Condition type : "             // + operator
)

func reasonInvalidEffect(effect string) string { return "Invalid effect: " + effect }

func reasonUnknownField(name string) string { return "Unknown field " + name }
