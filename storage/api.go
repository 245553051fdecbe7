package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/pkg/sse"
)

// ObjectStore is everything the S3 and console layers need from storage. Every
// call names the tenant: buckets live in a per-tenant namespace, so two tenants
// may each own a bucket called "backups" and never see each other's.
//
// Errors are the sentinels below, wrapped with %w; callers test them with
// errors.Is and never parse messages.
type ObjectStore interface {
	// Tenants. The index owns tenant records because quotas are enforced inside
	// the same bbolt transaction that commits an object.
	CreateTenant(ctx context.Context, name string, q Quota) error
	GetTenant(ctx context.Context, name string) (Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
	SetQuota(ctx context.Context, name string, q Quota) error
	SetSuspended(ctx context.Context, name string, suspended bool) error
	// DeleteTenant removes the tenant with all its buckets, objects, uploads and volumes.
	DeleteTenant(ctx context.Context, name string) error
	TenantUsage(ctx context.Context, name string) (Usage, error)

	// Block volumes are records only: Coffer does not serve them, operators
	// register them so that usage panels and metrics can show them.
	AddVolume(ctx context.Context, tenant string, v Volume) error
	ListVolumes(ctx context.Context, tenant string) ([]Volume, error)
	RemoveVolume(ctx context.Context, tenant, name string) error

	// Buckets.
	// CreateBucket creates an empty bucket; opts.ObjectLock enables Object
	// Lock and versioning with it, opts.Configs are its first documents.
	CreateBucket(ctx context.Context, tenant, bucket string, opts BucketOptions) error
	GetBucket(ctx context.Context, tenant, bucket string) (BucketInfo, error)
	// BucketSettings is GetBucket for its settings (versioning, Object
	// Lock) only: it does not wait for small PUTs being committed, so its
	// counters may lag them by a few milliseconds (see fastput.go).
	BucketSettings(ctx context.Context, tenant, bucket string) (BucketInfo, error)
	ListBuckets(ctx context.Context, tenant string) ([]BucketInfo, error)
	// DeleteBucket removes an empty bucket; with force it removes the bucket and
	// everything in it (objects and unfinished uploads), safely across crashes.
	DeleteBucket(ctx context.Context, tenant, bucket string, force bool) error
	// SetBucketVersioning sets a bucket's versioning state, VersioningEnabled
	// or VersioningSuspended; a bucket never returns to unversioned.
	SetBucketVersioning(ctx context.Context, tenant, bucket, state string) error
	// PutObjectLockConfig sets a bucket's Object Lock configuration; it
	// enables Object Lock on a bucket with versioning Enabled
	// (ErrInvalidBucketState otherwise).
	PutObjectLockConfig(ctx context.Context, tenant, bucket string, cfg LockConfig) error
	// SetBucketConfig stores a bucket's configuration document of kind
	// (opaque bytes the caller validated; nil or empty deletes it) in one
	// commit; GetBucketConfig returns it, or ErrNoSuchBucketConfig. A
	// document over its kind's limit, or over the bucket's total, is
	// ErrConfigTooLarge. Documents go away with the bucket.
	SetBucketConfig(ctx context.Context, tenant, bucket string, kind ConfigKind, doc []byte) error
	GetBucketConfig(ctx context.Context, tenant, bucket string, kind ConfigKind) ([]byte, error)
	// SetTenantConfig and GetTenantConfig keep an operator default of
	// kind per tenant (small: ErrConfigTooLarge over 4 KiB), with the same
	// errors. They are not restored by RebuildIndex (like quotas).
	SetTenantConfig(ctx context.Context, tenant string, kind ConfigKind, doc []byte) error
	GetTenantConfig(ctx context.Context, tenant string, kind ConfigKind) ([]byte, error)

	// Objects.
	PutObject(ctx context.Context, tenant, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	GetObjectInfo(ctx context.Context, tenant, bucket, key string) (ObjectInfo, error)
	// OpenObject pins the current version of an object for reading; the caller
	// must Close it. Reads through the handle see that version even if the
	// object is overwritten or deleted meanwhile.
	OpenObject(ctx context.Context, tenant, bucket, key string) (ObjectReader, error)
	// GetObjectVersion and OpenObjectVersion address one version ("" is the
	// current one, as GetObjectInfo and OpenObject). A delete marker is a
	// *DeleteMarkerError.
	GetObjectVersion(ctx context.Context, tenant, bucket, key, versionID string) (ObjectInfo, error)
	OpenObjectVersion(ctx context.Context, tenant, bucket, key, versionID string) (ObjectReader, error)
	// DeleteObject removes the current version (a versioned bucket gets a
	// delete marker instead) or, with opts.VersionID, that version for good.
	DeleteObject(ctx context.Context, tenant, bucket, key string, opts DeleteOptions) (DeleteResult, error)
	// UpdateObjectMeta replaces metadata (content headers, user metadata) of an
	// existing object without rewriting its data (CopyObject onto itself with
	// the REPLACE directive).
	UpdateObjectMeta(ctx context.Context, tenant, bucket, key string, meta ObjectMeta) (ObjectInfo, error)
	SetObjectTags(ctx context.Context, tenant, bucket, key, versionID string, tags map[string]string) error
	// SetObjectACL sets one version's canned ACL name ("" is the current
	// version; an empty acl clears it), opaque to storage.
	SetObjectACL(ctx context.Context, tenant, bucket, key, versionID, acl string) error
	ListObjects(ctx context.Context, tenant, bucket string, opts ListOptions) (ListResult, error)
	// ListObjectVersions lists every version and delete marker, key
	// ascending and newest first per key.
	ListObjectVersions(ctx context.Context, tenant, bucket string, opts ListVersionsOptions) (ListVersionsResult, error)
	// PutObjectRetention and PutObjectLegalHold change one version's lock
	// (ErrNoLockConfig on a bucket without Object Lock).
	PutObjectRetention(ctx context.Context, tenant, bucket, key, versionID string, r Retention, bypassGovernance bool) (ObjectInfo, error)
	PutObjectLegalHold(ctx context.Context, tenant, bucket, key, versionID string, on bool) (ObjectInfo, error)

	// Multipart uploads.
	CreateMultipartUpload(ctx context.Context, tenant, bucket, key string, opts PutOptions) (string, error)
	PutPart(ctx context.Context, tenant, bucket, key, uploadID string, partNumber int, body io.Reader, opts PutOptions) (PartInfo, error)
	ListParts(ctx context.Context, tenant, bucket, key, uploadID string, opts ListPartsOptions) (ListPartsResult, error)
	CompleteMultipartUpload(ctx context.Context, tenant, bucket, key, uploadID string, parts []CompletePart) (ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, tenant, bucket, key, uploadID string) error
	ListMultipartUploads(ctx context.Context, tenant, bucket string, opts ListUploadsOptions) (ListUploadsResult, error)

	// Operations.
	Drives(ctx context.Context) []DriveInfo
	// Ready reports whether enough drives are online for write quorum.
	Ready() bool
	// Stalled reports an error while an index transaction has been open
	// longer than its bound (the store is wedged); nil otherwise.
	Stalled() error
	ScrubStats() ScrubStats
}

// ObjectReader is a pinned, open version of an object.
type ObjectReader interface {
	Info() ObjectInfo
	// Range returns a reader of length bytes starting at offset. It reads only
	// the blocks it needs, verifies them and repairs bad shards on the way.
	// Range of an encrypted version returns plaintext, decrypting only
	// the chunks that hold the range; offsets and length are plaintext's.
	// An SSE-C version needs UseCustomerKey first (ErrSSEKeyRequired).
	Range(ctx context.Context, offset, length int64) (io.ReadCloser, error)
	// UseCustomerKey checks an SSE-C version's key and keeps it for Range
	// (ErrSSEKeyMismatch for a wrong key, ErrSSENotCustomer when the
	// version is not SSE-C).
	UseCustomerKey(ck *sse.CustomerKey) error
	Close() error
}

// Quota limits a tenant. A zero MaxObjects or MaxBytes means no limit; a
// zero MaxBuckets or MaxUploads means the server's default
// (Config.DefaultMaxBuckets, Config.DefaultMaxUploads).
type Quota struct {
	MaxObjects int64 `json:"objects"`
	MaxBytes   int64 `json:"bytes"`
	// MaxBuckets caps the buckets a tenant owns; MaxUploads its unfinished
	// multipart uploads. Both bound what a tenant at its object or byte
	// quota could still make the server keep: index records, and files on
	// every drive for each part.
	MaxBuckets int64 `json:"buckets,omitempty"`
	MaxUploads int64 `json:"uploads,omitempty"`
}

// Tenant is a tenant record.
type Tenant struct {
	Name      string
	Created   time.Time
	Quota     Quota
	Suspended bool
}

// Usage is a tenant's exact usage, updated in the commit transaction of every
// write. Bytes includes parts of unfinished multipart uploads.
type Usage struct {
	Objects int64
	Bytes   int64
	// NoncurrentObjects and NoncurrentBytes are, of Objects and Bytes, the
	// noncurrent versions and delete markers.
	NoncurrentObjects int64
	NoncurrentBytes   int64
	Buckets           int
	UploadBytes       int64 // of Bytes, the bytes held by unfinished multipart uploads
	Uploads           int64 // unfinished multipart uploads
	VolumeCount       int
	VolumeBytes       int64
	// MaxBuckets and MaxUploads are the limits in force: the tenant's own
	// or the server's default; 0 means none.
	MaxBuckets int64
	MaxUploads int64
}

// Volume is a block storage volume recorded for a tenant.
type Volume struct {
	Name      string
	SizeBytes int64
	Server    string
	Created   time.Time
}

// BucketInfo describes a bucket and its exact usage.
type BucketInfo struct {
	Name    string
	Created time.Time
	// Objects and Bytes count every stored version; a delete marker is one
	// object of 0 bytes.
	Objects int64
	Bytes   int64
	// NoncurrentObjects and NoncurrentBytes are, of Objects and Bytes, the
	// noncurrent versions and delete markers.
	NoncurrentObjects int64
	NoncurrentBytes   int64
	Versioning        string     // "", VersioningEnabled or VersioningSuspended
	Lock              LockConfig // Lock.Enabled is false without Object Lock
}

// ObjectMeta is the client-supplied description of an object.
type ObjectMeta struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// UserMeta holds x-amz-meta-* values keyed by lower-case name without the prefix.
	UserMeta map[string]string
	Tags     map[string]string
}

// PutOptions describe a body being written and what it must match.
type PutOptions struct {
	// Size is the exact body length, or -1 when unknown. A body that ends
	// early fails with ErrIncompleteBody; one that runs long with ErrBodyTooLong.
	Size int64
	// ContentMD5 is the raw 16-byte MD5 the body must have (Content-MD5), or nil.
	ContentMD5 []byte
	// Checksum is the algorithm to compute and store beside the MD5 ETag.
	Checksum checksum.Algorithm
	// ExpectedChecksum, if set, is called after the body is fully read and
	// before commit; it returns the base64 value the body must have ("" means
	// nothing to verify). It lets aws-chunked trailers supply the value late.
	ExpectedChecksum func() (string, error)
	// ChecksumType is "FULL_OBJECT" or "COMPOSITE" for multipart uploads.
	ChecksumType string
	Meta         ObjectMeta
	// Precondition, if set, is called inside the commit transaction with
	// the key's current object (nil when there is none), atomically with
	// the write: a non-nil error aborts the write and is returned as is
	// (conditional writes: If-None-Match, If-Match). It may run more than
	// once.
	Precondition func(current *ObjectInfo) error
	// Retention (x-amz-object-lock-mode and -retain-until-date) locks the
	// new version; nil means the bucket's default retention applies.
	Retention *Retention
	// LegalHold (x-amz-object-lock-legal-hold: ON) puts the new version on
	// legal hold. Retention or LegalHold on a bucket without Object Lock is
	// ErrNoLockConfig. CreateMultipartUpload records both and applies them
	// at Complete.
	LegalHold bool
	// ACL is the new version's canned ACL name ("": none), kept opaque
	// (at most 64 bytes, ErrConfigTooLarge). CreateMultipartUpload records
	// it and applies it at Complete.
	ACL string
	// Encryption encrypts the new version (PutObject) or every part of
	// the upload (CreateMultipartUpload) at rest; left zero, the bucket's
	// default encryption (a ConfigEncryption document) or Config.SSEDefault
	// make it SSE-S3. For PutPart it carries the SSE-C key of an SSE-C
	// upload (ErrSSEKeyRequired, ErrSSEKeyMismatch otherwise).
	Encryption Encryption

	// cipher, set by PutObject and PutPart, encrypts the body as
	// writeData stores it.
	cipher *sse.Cipher
}

// ObjectInfo describes a stored object version.
type ObjectInfo struct {
	Bucket  string
	Key     string
	Size    int64
	ETag    string // hex MD5, or md5-of-md5s "-N" for multipart; no quotes
	ModTime time.Time
	Meta    ObjectMeta
	// Checksums holds base64 values by algorithm; a multipart composite value
	// carries its "-N" suffix.
	Checksums    map[checksum.Algorithm]string
	ChecksumType string
	PartsCount   int
	// VersionID is NullVersion for the null version (also on never-versioned buckets).
	VersionID string
	// IsLatest marks the current version of its key.
	IsLatest bool
	// DeleteMarker marks a delete marker (Size 0, no data).
	DeleteMarker bool
	Retention    Retention
	LegalHold    bool
	ACL          string // the version's canned ACL name; "" when never set
	// Encryption is the version's server-side encryption (SSENone: none).
	// Size, ETag and Checksums are always the plaintext's.
	Encryption SSEMode
	// Parts describes a multipart object's parts in order (nil for a
	// single-part object). Only the calls that read one version fill it
	// (GetObjectInfo, GetObjectVersion, ObjectReader.Info); listings do not.
	Parts []ObjectPart
}

// ObjectPart is one part of a completed multipart object.
type ObjectPart struct {
	Size int64
	// Checksum is the part's base64 checksum of the object's algorithm
	// (ObjectInfo.Checksums), or "" when the upload had none.
	Checksum string
}

// ListOptions select a page of a bucket listing. After is exclusive: the S3
// layer turns marker, start-after and continuation tokens into it.
type ListOptions struct {
	Prefix    string
	Delimiter string
	After     string
	MaxKeys   int
}

// ListResult is one page of a listing, in byte order of keys.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextAfter is the last key or common prefix returned, to pass as After.
	NextAfter string
}

// NullVersion is the VersionID of the null version: objects written while
// a bucket was never versioned or had versioning suspended.
const NullVersion = "null"

// Versioning states of a bucket ("" is never enabled).
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// BucketOptions are chosen when a bucket is created.
type BucketOptions struct {
	// ObjectLock (x-amz-bucket-object-lock-enabled: true) enables Object
	// Lock; it implies versioning Enabled.
	ObjectLock bool
	// Configs are documents the bucket is created with (a canned ACL,
	// ownership controls, ...), committed with it, under the same limits
	// as SetBucketConfig.
	Configs map[ConfigKind][]byte
}

// LockMode is an Object Lock retention mode.
type LockMode string

// Retention modes.
const (
	LockGovernance LockMode = "GOVERNANCE"
	LockCompliance LockMode = "COMPLIANCE"
)

// LockConfig is a bucket's Object Lock configuration.
type LockConfig struct {
	Enabled bool     // ObjectLockEnabled
	Mode    LockMode // default retention mode; "" = no default retention
	Days    int      // exactly one of Days and Years when Mode != ""
	Years   int
}

// Retention of one version. The zero value is none.
type Retention struct {
	Mode  LockMode
	Until time.Time
}

// DeleteOptions select what DeleteObject removes.
type DeleteOptions struct {
	// VersionID is the version to remove for good; "" is the current
	// version (a versioned bucket gets a delete marker instead).
	VersionID string
	// BypassGovernance (x-amz-bypass-governance-retention: true) lets a
	// version under GOVERNANCE retention be deleted.
	BypassGovernance bool
}

// DeleteResult says what DeleteObject did.
type DeleteResult struct {
	// VersionID is the version removed or the delete marker created (""
	// on never-versioned buckets).
	VersionID string
	// DeleteMarker is true when the removed version was a delete marker or
	// a marker was created.
	DeleteMarker bool
}

// ListVersionsOptions select a page of ListObjectVersions. KeyMarker alone
// starts after every version of that key; with VersionIDMarker, after that
// version.
type ListVersionsOptions struct {
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int
}

// ListVersionsResult is one page of versions.
type ListVersionsResult struct {
	// Versions holds versions and delete markers, key ascending and newest
	// first per key.
	Versions            []ObjectInfo
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	PartNumber int
	ETag       string
	Size       int64
	ModTime    time.Time
	Checksums  map[checksum.Algorithm]string
	// Encryption is the upload's (PutPart only).
	Encryption SSEMode
}

// CompletePart names a part in CompleteMultipartUpload.
type CompletePart struct {
	PartNumber int
	ETag       string // with or without quotes
	// Checksums the client claims for the part, verified if present.
	Checksums map[checksum.Algorithm]string
}

// ListPartsOptions page through parts.
type ListPartsOptions struct {
	PartNumberMarker int
	MaxParts         int
}

// ListPartsResult is a page of parts.
type ListPartsResult struct {
	Upload               UploadInfo
	Parts                []PartInfo
	IsTruncated          bool
	NextPartNumberMarker int
}

// UploadInfo describes an unfinished multipart upload.
type UploadInfo struct {
	Bucket       string
	Key          string
	UploadID     string
	Initiated    time.Time
	Checksum     checksum.Algorithm
	ChecksumType string
	Meta         ObjectMeta
	// Retention and LegalHold are the Object Lock settings the object
	// gets at Complete (from CreateMultipartUpload).
	Retention *Retention
	LegalHold bool
	// Encryption is the mode every part is encrypted with.
	Encryption SSEMode
}

// ListUploadsOptions page through unfinished uploads.
type ListUploadsOptions struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// ListUploadsResult is a page of uploads.
type ListUploadsResult struct {
	Uploads            []UploadInfo
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// DriveInfo is the health of one drive.
type DriveInfo struct {
	Index      int
	Path       string
	ID         string
	Online     bool
	TotalBytes uint64
	FreeBytes  uint64
	Errors     uint64
}

// ScrubStats counts what the background scanner has done since start.
type ScrubStats struct {
	Running        bool
	ObjectsScanned uint64
	ObjectsHealed  uint64
	ShardsRepaired uint64
	OrphansRemoved uint64
	// Errors counts every error a pass, the healer or compaction met and
	// skipped (objects that could not be healed, unreadable drives or
	// records, failed removals); FirstErrors holds the first 16 messages
	// since Open.
	Errors           uint64
	FirstErrors      []string
	QuorumFailures   uint64
	LastScrubStarted time.Time
	LastScrubDone    time.Time
	Progress         float64 // 0..1 of the current pass
}

// Sentinel errors. Callers match them with errors.Is.
var (
	// ErrInvalidBucketName is returned when a bucket name breaks the S3 naming rules.
	ErrInvalidBucketName = errors.New("storage: invalid bucket name")
	// ErrInvalidObjectName is returned when a key is empty, longer than 1024 bytes, or not valid UTF-8.
	ErrInvalidObjectName = errors.New("storage: invalid object key")
	// ErrKeyTooLong is returned (together with ErrInvalidObjectName) when a key is longer than 1024 bytes.
	ErrKeyTooLong = errors.New("storage: object key longer than 1024 bytes")
	// ErrBucketNotFound is returned when the tenant has no bucket of that name.
	ErrBucketNotFound = errors.New("storage: bucket not found")
	// ErrBucketExists is returned when the tenant already owns a bucket of that name.
	ErrBucketExists = errors.New("storage: bucket already exists")
	// ErrBucketNotEmpty is returned when deleting a bucket that holds objects or uploads.
	ErrBucketNotEmpty = errors.New("storage: bucket not empty")
	// ErrObjectNotFound is returned when a key has no object.
	ErrObjectNotFound = errors.New("storage: object not found")
	// ErrUploadNotFound is returned when a multipart upload id is unknown (or belongs to another key).
	ErrUploadNotFound = errors.New("storage: upload not found")
	// ErrInvalidPart is returned when a completed part is missing or its ETag does not match.
	ErrInvalidPart = errors.New("storage: invalid part")
	// ErrInvalidPartOrder is returned when completed parts are not in ascending order.
	ErrInvalidPartOrder = errors.New("storage: parts not in ascending order")
	// ErrInvalidPartNumber is returned when a part number is outside 1..10000.
	ErrInvalidPartNumber = errors.New("storage: invalid part number")
	// ErrEntityTooSmall is returned when a part other than the last is under 5 MiB.
	ErrEntityTooSmall = errors.New("storage: part too small")
	// ErrEntityTooLarge is returned when a body exceeds the 5 TiB object limit.
	ErrEntityTooLarge = errors.New("storage: entity too large")
	// ErrBadDigest is returned when the body does not match its Content-MD5.
	ErrBadDigest = errors.New("storage: content MD5 mismatch")
	// ErrChecksumMismatch is returned when the body does not match its x-amz-checksum value.
	ErrChecksumMismatch = errors.New("storage: checksum mismatch")
	// ErrIncompleteBody is returned when the body is shorter than its declared size.
	ErrIncompleteBody = errors.New("storage: body shorter than declared size")
	// ErrBodyTooLong is returned when the body is longer than its declared size.
	ErrBodyTooLong = errors.New("storage: body longer than declared size")
	// ErrQuotaExceeded is returned (inside a *QuotaError) when a write would pass the tenant's quota.
	ErrQuotaExceeded = errors.New("storage: quota exceeded")
	// ErrTooManyBuckets is returned (inside a *QuotaError of Resource "buckets") when creating a bucket would pass the tenant's bucket limit.
	ErrTooManyBuckets = errors.New("storage: too many buckets")
	// ErrTooManyUploads is returned (inside a *QuotaError of Resource "uploads") when starting a multipart upload would pass the tenant's limit of unfinished uploads.
	ErrTooManyUploads = errors.New("storage: too many unfinished multipart uploads")
	// ErrQuorum is returned when too few drives answer to write or read an object safely.
	ErrQuorum = errors.New("storage: drive quorum not available")
	// ErrDriveOffline is returned by a remote drive whose node does not
	// answer (refused, timed out); it fails fast until the node is back.
	// The store counts it as that drive's failure (quorum decides).
	ErrDriveOffline = errors.New("storage: drive offline")
	// ErrDiskFull is returned when drives have no space for a write (ENOSPC).
	ErrDiskFull = errors.New("storage: no space left on drives")
	// ErrTenantNotFound is returned when no tenant has that name.
	ErrTenantNotFound = errors.New("storage: tenant not found")
	// ErrTenantExists is returned when creating a tenant whose name is taken.
	ErrTenantExists = errors.New("storage: tenant already exists")
	// ErrInvalidTenantName is returned when a tenant name breaks the naming rules.
	ErrInvalidTenantName = errors.New("storage: invalid tenant name")
	// ErrVolumeExists is returned when a tenant already has a volume of that name.
	ErrVolumeExists = errors.New("storage: volume already exists")
	// ErrVolumeNotFound is returned when a tenant has no volume of that name.
	ErrVolumeNotFound = errors.New("storage: volume not found")
	// ErrNoSuchVersion is returned when a version id names no version of the key (or is malformed).
	ErrNoSuchVersion = errors.New("storage: no such version")
	// ErrDeleteMarker is returned (inside a *DeleteMarkerError) when a read addresses a delete marker by its version id.
	ErrDeleteMarker = errors.New("storage: version is a delete marker")
	// ErrObjectLocked is returned when deleting or overwriting a version under retention or legal hold.
	ErrObjectLocked = errors.New("storage: object protected by object lock")
	// ErrNoLockConfig is returned when an Object Lock operation addresses a bucket without Object Lock.
	ErrNoLockConfig = errors.New("storage: bucket has no object lock configuration")
	// ErrInvalidBucketState is returned when suspending versioning on an Object Lock bucket, or enabling Object Lock on a bucket without versioning Enabled.
	ErrInvalidBucketState = errors.New("storage: invalid bucket state")
	// ErrRetentionShortened is returned when a retention change would shorten or weaken COMPLIANCE retention, or GOVERNANCE retention without bypass.
	ErrRetentionShortened = errors.New("storage: retention cannot be shortened")
	// ErrInvalidRetention is returned when a retention is malformed (unknown mode, retain-until date not in the future).
	ErrInvalidRetention = errors.New("storage: invalid retention")
	// ErrInvalidVersioning is returned when a versioning state is neither Enabled nor Suspended.
	ErrInvalidVersioning = errors.New("storage: invalid versioning state")
	// ErrNoSuchBucketConfig is returned (inside a *NoSuchConfigError) when a bucket (GetBucketConfig) or tenant (GetTenantConfig) has no configuration document of the kind asked for.
	ErrNoSuchBucketConfig = errors.New("storage: no such bucket configuration")
	// ErrConfigTooLarge is returned when a configuration document or canned ACL name passes its size limit, or a bucket's or tenant's documents together would pass theirs.
	ErrConfigTooLarge = errors.New("storage: configuration too large")
)

// DeleteMarkerError is returned by GetObjectVersion and OpenObjectVersion
// when the version read is a delete marker. It matches ErrObjectNotFound
// when the current version was asked for (!Addressed) and ErrDeleteMarker
// when the marker was addressed by its version id.
type DeleteMarkerError struct {
	VersionID string
	Addressed bool
	// ModTime is when the marker was placed (S3 answers it as Last-Modified).
	ModTime time.Time
}

func (e *DeleteMarkerError) Error() string {
	if e.Addressed {
		return "storage: version " + e.VersionID + " is a delete marker"
	}
	return "storage: object not found (the current version is delete marker " + e.VersionID + ")"
}

// Is matches ErrDeleteMarker or ErrObjectNotFound, as above.
func (e *DeleteMarkerError) Is(target error) bool {
	if e.Addressed {
		return target == ErrDeleteMarker
	}
	return target == ErrObjectNotFound
}

// NoSuchConfigError is returned by GetBucketConfig and GetTenantConfig
// when no document of Kind is set; it matches ErrNoSuchBucketConfig. The
// kind lets one error table choose S3's code (NoSuchBucketPolicy,
// NoSuchCORSConfiguration, ...).
type NoSuchConfigError struct {
	Kind ConfigKind
	// Tenant is true for a tenant default (GetTenantConfig).
	Tenant bool
}

func (e *NoSuchConfigError) Error() string {
	if e.Tenant {
		return "storage: no tenant default " + string(e.Kind)
	}
	return "storage: no bucket " + string(e.Kind) + " configuration"
}

// Is makes errors.Is(err, ErrNoSuchBucketConfig) true.
func (e *NoSuchConfigError) Is(target error) bool { return target == ErrNoSuchBucketConfig }

// LockedError names versions that Object Lock protects (key@versionID, at
// most 10) when a bucket or tenant cannot be deleted. It matches
// ErrObjectLocked.
type LockedError struct {
	Versions []string
	// More is true when more versions are locked than named.
	More bool
}

func (e *LockedError) Error() string {
	s := "storage: object protected by object lock: " + strings.Join(e.Versions, ", ")
	if e.More {
		s += " and more"
	}
	return s
}

// Is makes errors.Is(err, ErrObjectLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrObjectLocked }

// QuotaError says which limit a write would pass. It matches
// ErrQuotaExceeded, and also ErrTooManyBuckets or ErrTooManyUploads for
// those resources.
type QuotaError struct {
	Resource string // "objects", "bytes", "buckets" or "uploads"
	Used     int64  // usage before the write
	Adding   int64  // what the write adds
	Limit    int64
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("quota exceeded: %s used %d of limit %d (this request adds %d)", e.Resource, e.Used, e.Limit, e.Adding)
}

// Is makes errors.Is(err, ErrQuotaExceeded) true, and errors.Is with the
// sentinel of the resource.
func (e *QuotaError) Is(target error) bool {
	switch target {
	case ErrQuotaExceeded:
		return true
	case ErrTooManyBuckets:
		return e.Resource == "buckets"
	case ErrTooManyUploads:
		return e.Resource == "uploads"
	}
	return false
}

// ErrInvalidRange is returned by ObjectReader.Range when the range does not
// lie within the object.
var ErrInvalidRange = errors.New("storage: invalid range")
