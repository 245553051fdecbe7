package auth

import (
	"context"
	"errors"
)

// Identity is who signed an S3 request: the tenant that owns the access key.
type Identity struct {
	Tenant    string
	AccessKey string
}

type identityKey struct{}

// WithIdentity returns a context carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity verified for the request, if any.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Sentinel errors of request verification. The S3 layer maps each to its S3 code.
var (
	// ErrMissingAuth is returned when a request carries no signature at all (AccessDenied).
	ErrMissingAuth = errors.New("auth: request is not signed")
	// ErrInvalidAccessKeyID is returned when the access key is unknown, rotated or deleted.
	ErrInvalidAccessKeyID = errors.New("auth: access key does not exist")
	// ErrSignatureMismatch is returned when the computed signature differs (SignatureDoesNotMatch).
	ErrSignatureMismatch = errors.New("auth: signature does not match")
	// ErrMalformedAuth is returned when the Authorization header or presigned query is malformed (AuthorizationHeaderMalformed / AuthorizationQueryParametersError).
	ErrMalformedAuth = errors.New("auth: malformed authorization")
	// ErrUnsupportedAuth is returned for an auth scheme Coffer does not support, or two at once (InvalidRequest / NotImplemented).
	ErrUnsupportedAuth = errors.New("auth: unsupported authorization")
	// ErrRequestTimeTooSkewed is returned when the request time is more than 15 minutes off.
	ErrRequestTimeTooSkewed = errors.New("auth: request time too skewed")
	// ErrExpired is returned when a presigned URL has expired (AccessDenied "Request has expired").
	ErrExpired = errors.New("auth: request has expired")
	// ErrContentSHA256Mismatch is returned when the body does not hash to x-amz-content-sha256.
	ErrContentSHA256Mismatch = errors.New("auth: x-amz-content-sha256 mismatch")
	// ErrInvalidContentSHA256 is returned when x-amz-content-sha256 is not a hash or known mode.
	ErrInvalidContentSHA256 = errors.New("auth: invalid x-amz-content-sha256")
	// ErrChunkSignatureMismatch is returned when an aws-chunked chunk or trailer signature is wrong (SignatureDoesNotMatch).
	ErrChunkSignatureMismatch = errors.New("auth: chunk signature does not match")
	// ErrMalformedChunk is returned when an aws-chunked body is malformed or truncated (IncompleteBody / InvalidRequest).
	ErrMalformedChunk = errors.New("auth: malformed aws-chunked body")
	// ErrMissingDecodedLength is returned when an aws-chunked body lacks x-amz-decoded-content-length (MissingContentLength).
	ErrMissingDecodedLength = errors.New("auth: missing x-amz-decoded-content-length")
	// ErrUnsignedHeaders is returned when a request carries x-amz-* headers that its
	// signature does not cover (AccessDenied "There were headers present in the
	// request which were not signed"); the error is an *UnsignedHeadersError.
	ErrUnsignedHeaders = errors.New("auth: headers present in the request were not signed")
	// ErrWrongRegion is returned when a SigV4 credential scope names another region than
	// the server's (AuthorizationHeaderMalformed / AuthorizationQueryParametersError);
	// the error is a *RegionError.
	ErrWrongRegion = errors.New("auth: wrong region in the credential scope")
	// ErrAccessDenied is returned when the identity may not do what it asks (suspended tenant).
	ErrAccessDenied = errors.New("auth: access denied")

	// ErrCredentialExists is returned when generating a key pair for a tenant that has one.
	ErrCredentialExists = errors.New("auth: tenant already has credentials")
	// ErrNoCredential is returned when a tenant has no key pair.
	ErrNoCredential = errors.New("auth: tenant has no credentials")
	// ErrUserExists is returned when a username is taken: by a user of the same
	// tenant, or by an operator (operator names are reserved in every tenant).
	ErrUserExists = errors.New("auth: user already exists")
	// ErrUserNotFound is returned when no user has that name.
	ErrUserNotFound = errors.New("auth: user not found")
	// ErrBadPassword is returned when a login's password is wrong (or the user unknown).
	ErrBadPassword = errors.New("auth: invalid username or password")
	// ErrRateLimited is returned when too many logins failed recently for the user or address.
	ErrRateLimited = errors.New("auth: too many login attempts")
	// ErrSessionInvalid is returned when a session token is unknown or expired.
	ErrSessionInvalid = errors.New("auth: session invalid or expired")
	// ErrAmbiguousUser is returned when a login name without a tenant fits
	// users of several tenants (and the password fits one of them): the
	// login must name the tenant ("user@tenant").
	ErrAmbiguousUser = errors.New("auth: several tenants have a user of that name; name the tenant")
	// ErrWeakPassword is returned when a new password is too short.
	ErrWeakPassword = errors.New("auth: password too short")
)
