package console

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/storage"
)

// TestEverySentinelMapped fails when a storage or auth sentinel would reach a
// client as 500 "internal error".
func TestEverySentinelMapped(t *testing.T) {
	sentinels := []error{
		storage.ErrInvalidBucketName, storage.ErrInvalidObjectName, storage.ErrBucketNotFound,
		storage.ErrBucketExists, storage.ErrBucketNotEmpty, storage.ErrObjectNotFound,
		storage.ErrUploadNotFound, storage.ErrInvalidPart, storage.ErrInvalidPartOrder,
		storage.ErrInvalidPartNumber, storage.ErrEntityTooSmall, storage.ErrEntityTooLarge,
		storage.ErrBadDigest, storage.ErrChecksumMismatch, storage.ErrIncompleteBody,
		storage.ErrBodyTooLong, storage.ErrQuotaExceeded, storage.ErrQuorum, storage.ErrDiskFull, storage.ErrDriveOffline,
		storage.ErrTooManyBuckets, storage.ErrTooManyUploads,
		storage.ErrTenantNotFound, storage.ErrTenantExists, storage.ErrInvalidTenantName,
		storage.ErrVolumeExists, storage.ErrVolumeNotFound,
		storage.ErrNoSuchVersion, storage.ErrDeleteMarker, storage.ErrObjectLocked, storage.ErrNoLockConfig,
		storage.ErrInvalidBucketState, storage.ErrRetentionShortened, storage.ErrInvalidRetention,
		storage.ErrInvalidVersioning,
		storage.ErrSSEKeyRequired, storage.ErrSSEKeyMismatch, storage.ErrSSENotCustomer, storage.ErrSSENoMasterKey,
		auth.ErrCredentialExists, auth.ErrNoCredential, auth.ErrUserExists, auth.ErrUserNotFound,
		auth.ErrBadPassword, auth.ErrRateLimited, auth.ErrSessionInvalid, auth.ErrWeakPassword,
		auth.ErrAccessDenied, auth.ErrInvalidUsername, auth.ErrAmbiguousUser, os.ErrDeadlineExceeded,
		kv.Unavailable, kv.ErrConflict,
	}
	for _, s := range sentinels {
		wrapped := fmt.Errorf("op on tenant x: %w", s)
		ae := toAPIError(wrapped)
		if ae.Status == http.StatusInternalServerError || ae.Message == "" {
			t.Errorf("%v maps to %d %q", s, ae.Status, ae.Message)
		}
		if ae.Message == s.Error() {
			t.Errorf("%v: client message is the internal error text", s)
		}
	}
	want := map[error]int{
		storage.ErrInvalidBucketName: 400, storage.ErrBucketExists: 409, storage.ErrBucketNotFound: 404,
		auth.ErrCredentialExists: 409, auth.ErrNoCredential: 404, auth.ErrRateLimited: 429,
		auth.ErrBadPassword: 401, storage.ErrTenantNotFound: 404, storage.ErrQuorum: 503,
		kv.Unavailable:         http.StatusServiceUnavailable,
		os.ErrDeadlineExceeded: http.StatusRequestTimeout,
	}
	for s, st := range want {
		if got := toAPIError(s).Status; got != st {
			t.Errorf("%v -> %d, want %d", s, got, st)
		}
	}
}

func TestQuotaErrorMessageNamesUsedAndLimit(t *testing.T) {
	err := fmt.Errorf("put: %w", &storage.QuotaError{Resource: "bytes", Used: 90, Adding: 20, Limit: 100})
	ae := toAPIError(err)
	if ae.Status != http.StatusForbidden || ae.Message != "quota exceeded: bytes used 90 of limit 100 (this request adds 20)" {
		t.Fatalf("quota error -> %d %q", ae.Status, ae.Message)
	}
}

func TestContainerLimitMessage(t *testing.T) {
	ae := toAPIError(fmt.Errorf("create: %w", &storage.QuotaError{Resource: "buckets", Used: 3, Adding: 1, Limit: 3}))
	if ae.Status != http.StatusForbidden || ae.Message != "container limit reached: 3 of 3 containers; delete one or ask your operator to raise the limit" {
		t.Fatalf("bucket limit error -> %d %q", ae.Status, ae.Message)
	}
}

func TestUnknownErrorIsInternal(t *testing.T) {
	ae := toAPIError(errors.New("disk exploded at /secret/path"))
	if ae.Status != 500 || ae.Message != "internal error" {
		t.Fatalf("unknown error -> %d %q", ae.Status, ae.Message)
	}
	explicit := errorf(http.StatusTeapot, "short and stout")
	if got := toAPIError(fmt.Errorf("wrapped: %w", explicit)); !reflect.DeepEqual(got, explicit) {
		t.Fatalf("wrapped apiError -> %+v", got)
	}
}

func TestLockedErrorNamesVersions(t *testing.T) {
	err := fmt.Errorf("force delete: %w", &storage.LockedError{Versions: []string{"a.txt@v1", "b.txt@v2"}, More: true})
	ae := toAPIError(err)
	if ae.Status != http.StatusConflict || !strings.Contains(ae.Message, "a.txt@v1, b.txt@v2 and more") ||
		!strings.Contains(ae.Message, "Object Lock") {
		t.Fatalf("locked error -> %d %q", ae.Status, ae.Message)
	}
	if v, _ := ae.Fields["lockedVersions"].([]string); len(v) != 2 {
		t.Fatalf("lockedVersions field: %v", ae.Fields)
	}
}
