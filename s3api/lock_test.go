package s3api

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// Object Lock through aws-sdk-go-v2 against the real server: every call,
// the codes and messages of its refusals, and the locks storage enforces.

const (
	msgLocked      = "Access Denied because object protected by object lock."
	msgNoLock      = "Bucket is missing Object Lock Configuration"
	msgNeedsDigest = "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"
)

// mkLockBucket creates a bucket with x-amz-bucket-object-lock-enabled.
func mkLockBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(true)})
	if err != nil {
		t.Fatalf("CreateBucket %s with Object Lock: %v", name, err)
	}
}

// putLocked writes a version with explicit lock headers and returns its id.
func putLocked(t *testing.T, c *s3.Client, b, k string, body []byte, mode types.ObjectLockMode, until time.Time, hold bool) string {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: &b, Key: &k, Body: bytes.NewReader(body)}
	if mode != "" {
		in.ObjectLockMode, in.ObjectLockRetainUntilDate = mode, &until
	}
	if hold {
		in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn
	}
	out, err := c.PutObject(context.Background(), in)
	if err != nil {
		t.Fatalf("PutObject %s/%s with lock: %v", b, k, err)
	}
	if aws.ToString(out.VersionId) == "" || aws.ToString(out.VersionId) == "null" {
		t.Fatalf("PutObject on a lock bucket answered version %q", aws.ToString(out.VersionId))
	}
	return aws.ToString(out.VersionId)
}

// wantRetention asserts GetObjectRetention of a version.
func wantRetention(t *testing.T, c *s3.Client, b, k, vid string, mode types.ObjectLockRetentionMode, until time.Time) {
	t.Helper()
	in := &s3.GetObjectRetentionInput{Bucket: &b, Key: &k}
	if vid != "" {
		in.VersionId = &vid
	}
	out, err := c.GetObjectRetention(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObjectRetention %s/%s@%s: %v", b, k, vid, err)
	}
	got := out.Retention
	if got == nil || got.Mode != mode || got.RetainUntilDate == nil || !got.RetainUntilDate.Equal(until.Truncate(time.Millisecond)) {
		t.Fatalf("retention of %s@%s = %+v, want %s until %v", k, vid, got, mode, until)
	}
}

func putRetention(c *s3.Client, b, k, vid string, mode types.ObjectLockRetentionMode, until time.Time, bypass bool) error {
	in := &s3.PutObjectRetentionInput{Bucket: &b, Key: &k,
		Retention: &types.ObjectLockRetention{Mode: mode, RetainUntilDate: &until}}
	if vid != "" {
		in.VersionId = &vid
	}
	if bypass {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	_, err := c.PutObjectRetention(context.Background(), in)
	return err
}

func deleteVersion(c *s3.Client, b, k, vid string, bypass bool) error {
	in := &s3.DeleteObjectInput{Bucket: &b, Key: &k, VersionId: &vid}
	if bypass {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	_, err := c.DeleteObject(context.Background(), in)
	return err
}

func headVersion(c *s3.Client, b, k, vid string) (*s3.HeadObjectOutput, error) {
	return c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &b, Key: &k, VersionId: &vid})
}

// TestObjectLock drives every Object Lock operation with the SDK's default
// checksums.
func TestObjectLock(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	t.Run("ConfigAtCreate", func(t *testing.T) { testLockConfigAtCreate(t, c) })
	t.Run("DefaultRetention", func(t *testing.T) { testDefaultRetention(t, c) })
	t.Run("ConfigErrors", func(t *testing.T) { testLockConfigErrors(t, c) })
	t.Run("RetentionExtendShorten", func(t *testing.T) { testRetentionChanges(t, c) })
	t.Run("GovernanceBypass", func(t *testing.T) { testGovernanceBypass(t, c) })
	t.Run("LegalHold", func(t *testing.T) { testLegalHold(t, c) })
	t.Run("DeleteMarkerOverLock", func(t *testing.T) { testDeleteMarkerOverLock(t, c) })
	t.Run("BucketWithoutLock", func(t *testing.T) { testBucketWithoutLock(t, c) })
	t.Run("MultipartAndCopy", func(t *testing.T) { testLockMultipartAndCopy(t, c) })
	t.Run("HeaderErrors", func(t *testing.T) { testLockHeaderErrors(t, c) })
}

func testLockConfigAtCreate(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	mkLockBucket(t, c, "lock-create")
	cfg, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("lock-create")})
	if err != nil {
		t.Fatalf("GetObjectLockConfiguration: %v", err)
	}
	if lc := cfg.ObjectLockConfiguration; lc == nil || lc.ObjectLockEnabled != types.ObjectLockEnabledEnabled || lc.Rule != nil {
		t.Fatalf("configuration %+v, want Enabled without a rule", lc)
	}
	ver, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("lock-create")})
	if err != nil || ver.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning of a lock bucket = %q, %v; want Enabled", ver.Status, err)
	}
	// Versioning cannot be suspended while Object Lock is on.
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("lock-create"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantAPIError(t, err, "InvalidBucketState", "Object Lock configuration is present")
	wantHTTPStatus(t, err, 409)

	mkBucket(t, c, "lock-plain")
	_, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("lock-plain")})
	wantAPIError(t, err, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket")
	wantHTTPStatus(t, err, 404)
	_, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("lock-none")})
	wantAPIError(t, err, "NoSuchBucket", "")
}

func testDefaultRetention(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-default"
	mkLockBucket(t, c, b)
	_, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &b,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(2)}}}})
	if err != nil {
		t.Fatalf("PutObjectLockConfiguration: %v", err)
	}
	cfg, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	dr := cfg.ObjectLockConfiguration.Rule.DefaultRetention
	if dr.Mode != types.ObjectLockRetentionModeGovernance || aws.ToInt32(dr.Days) != 2 || dr.Years != nil {
		t.Fatalf("default retention %+v", dr)
	}

	// A new version without lock headers gets the default.
	before := time.Now()
	out := put(t, c, b, "k", []byte("v1"))
	after := time.Now()
	vid := aws.ToString(out.VersionId)
	head, err := headVersion(c, b, "k", vid)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := before.Add(48*time.Hour).Add(-time.Second), after.Add(48*time.Hour).Add(time.Second)
	if head.ObjectLockMode != types.ObjectLockModeGovernance || head.ObjectLockRetainUntilDate == nil ||
		head.ObjectLockRetainUntilDate.Before(lo) || head.ObjectLockRetainUntilDate.After(hi) {
		t.Fatalf("HEAD lock = %s until %v; want GOVERNANCE until ~now+2d", head.ObjectLockMode, head.ObjectLockRetainUntilDate)
	}
	wantRetention(t, c, b, "k", vid, types.ObjectLockRetentionModeGovernance, *head.ObjectLockRetainUntilDate)
	// So is a locked version protected: deleting it needs the bypass.
	wantAPIError(t, deleteVersion(c, b, "k", vid, false), "AccessDenied", msgLocked)

	// Explicit headers win over the default.
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	v2 := putLocked(t, c, b, "k", []byte("v2"), types.ObjectLockModeCompliance, until, false)
	wantRetention(t, c, b, "k", v2, types.ObjectLockRetentionModeCompliance, until)
	cur, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if body := mustRead(t, cur.Body); string(body) != "v2" || cur.ObjectLockMode != types.ObjectLockModeCompliance ||
		cur.ObjectLockRetainUntilDate == nil || !cur.ObjectLockRetainUntilDate.Equal(until) {
		t.Fatalf("GET of the current version: %q %s until %v", body, cur.ObjectLockMode, cur.ObjectLockRetainUntilDate)
	}

	// Years, and a configuration without a rule drops the default.
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &b,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Years: aws.Int32(1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &b})
	if dr := cfg.ObjectLockConfiguration.Rule.DefaultRetention; dr.Mode != types.ObjectLockRetentionModeCompliance || aws.ToInt32(dr.Years) != 1 || dr.Days != nil {
		t.Fatalf("default retention %+v", dr)
	}
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &b,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	if err != nil {
		t.Fatal(err)
	}
	v3 := aws.ToString(put(t, c, b, "k", []byte("v3")).VersionId)
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &b, Key: aws.String("k"), VersionId: &v3})
	wantAPIError(t, err, "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration")
	wantHTTPStatus(t, err, 404)
}

func testLockConfigErrors(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-cfgerr"
	mkLockBucket(t, c, b)
	putCfg := func(dr *types.DefaultRetention) error {
		_, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &b,
			ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
				Rule: &types.ObjectLockRule{DefaultRetention: dr}}})
		return err
	}
	wantAPIError(t, putCfg(&types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1), Years: aws.Int32(1)}), "MalformedXML", "")
	wantAPIError(t, putCfg(&types.DefaultRetention{Mode: "FOREVER", Days: aws.Int32(1)}), "MalformedXML", "")
	wantAPIError(t, putCfg(&types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(0)}), "InvalidArgument", "Default retention period must be a positive integer value.")
	wantAPIError(t, putCfg(&types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Years: aws.Int32(-1)}), "InvalidArgument", "positive integer")
	// None of them changed the configuration.
	cfg, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &b})
	if err != nil || cfg.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("configuration after refusals: %+v, %v", cfg.ObjectLockConfiguration, err)
	}
}

func testRetentionChanges(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-ret"
	mkLockBucket(t, c, b)
	vid := aws.ToString(put(t, c, b, "k", []byte("data")).VersionId)
	_, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &b, Key: aws.String("k"), VersionId: &vid})
	wantAPIError(t, err, "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration")

	base := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	gov, comp := types.ObjectLockRetentionModeGovernance, types.ObjectLockRetentionModeCompliance
	if err := putRetention(c, b, "k", vid, gov, base, false); err != nil {
		t.Fatalf("PutObjectRetention: %v", err)
	}
	wantRetention(t, c, b, "k", vid, gov, base)
	// Without versionId the current version is addressed.
	wantRetention(t, c, b, "k", "", gov, base)
	// GOVERNANCE: extend freely, shorten only with the bypass header.
	if err := putRetention(c, b, "k", vid, gov, base.Add(time.Hour), false); err != nil {
		t.Fatalf("extend GOVERNANCE: %v", err)
	}
	wantAPIError(t, putRetention(c, b, "k", vid, gov, base.Add(30*time.Minute), false), "AccessDenied", "protected by object lock")
	wantRetention(t, c, b, "k", vid, gov, base.Add(time.Hour))
	if err := putRetention(c, b, "k", vid, gov, base.Add(30*time.Minute), true); err != nil {
		t.Fatalf("shorten GOVERNANCE with bypass: %v", err)
	}
	wantRetention(t, c, b, "k", vid, gov, base.Add(30*time.Minute))
	// Into COMPLIANCE, which can then only be extended, bypass or not.
	if err := putRetention(c, b, "k", vid, comp, base.Add(2*time.Hour), false); err != nil {
		t.Fatalf("GOVERNANCE to COMPLIANCE: %v", err)
	}
	wantAPIError(t, putRetention(c, b, "k", vid, comp, base.Add(time.Hour), false), "AccessDenied", "protected by object lock")
	wantAPIError(t, putRetention(c, b, "k", vid, comp, base.Add(time.Hour), true), "AccessDenied", "protected by object lock")
	wantAPIError(t, putRetention(c, b, "k", vid, gov, base.Add(3*time.Hour), true), "AccessDenied", "protected by object lock")
	wantRetention(t, c, b, "k", vid, comp, base.Add(2*time.Hour))
	if err := putRetention(c, b, "k", vid, comp, base.Add(3*time.Hour), false); err != nil {
		t.Fatalf("extend COMPLIANCE: %v", err)
	}
	wantRetention(t, c, b, "k", vid, comp, base.Add(3*time.Hour))
	// A COMPLIANCE version cannot be deleted, not even with the bypass.
	wantAPIError(t, deleteVersion(c, b, "k", vid, true), "AccessDenied", msgLocked)
	wantHTTPStatus(t, deleteVersion(c, b, "k", vid, true), 403)
	if _, err := headVersion(c, b, "k", vid); err != nil {
		t.Fatalf("locked version gone: %v", err)
	}

	// Refusals before storage: a date in the past, an unknown version.
	wantAPIError(t, putRetention(c, b, "k", vid, gov, time.Now().Add(-time.Hour), true), "InvalidArgument", "The retain until date must be in the future!")
	wantAPIError(t, putRetention(c, b, "k", "0123456789abcdef0123456789abcdef", gov, base.Add(5*time.Hour), false), "NoSuchVersion", "")
	wantAPIError(t, putRetention(c, b, "k", "not-a-version", gov, base.Add(5*time.Hour), false), "InvalidArgument", "Invalid version id specified")
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &b, Key: aws.String("nokey")})
	wantAPIError(t, err, "NoSuchKey", "")
}

func testGovernanceBypass(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-gov"
	mkLockBucket(t, c, b)
	until := time.Now().Add(time.Hour)
	vid := putLocked(t, c, b, "k", []byte("gov"), types.ObjectLockModeGovernance, until, false)

	err := deleteVersion(c, b, "k", vid, false)
	wantAPIError(t, err, "AccessDenied", msgLocked)
	wantHTTPStatus(t, err, 403)
	// DeleteObjects reports the refusal per key.
	res, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("k"), VersionId: &vid}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || aws.ToString(res.Errors[0].Code) != "AccessDenied" || aws.ToString(res.Errors[0].Message) != msgLocked ||
		aws.ToString(res.Errors[0].Key) != "k" || aws.ToString(res.Errors[0].VersionId) != vid || len(res.Deleted) != 0 {
		t.Fatalf("DeleteObjects of a locked version: deleted %+v, errors %+v", res.Deleted, res.Errors)
	}
	if _, err := headVersion(c, b, "k", vid); err != nil {
		t.Fatalf("locked version gone: %v", err)
	}
	// With the header, the tenant's own key may bypass GOVERNANCE.
	if err := deleteVersion(c, b, "k", vid, true); err != nil {
		t.Fatalf("delete with bypass: %v", err)
	}
	_, err = headVersion(c, b, "k", vid)
	wantHTTPStatus(t, err, 404)

	v2 := putLocked(t, c, b, "k2", []byte("gov"), types.ObjectLockModeGovernance, until, false)
	res, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, BypassGovernanceRetention: aws.Bool(true), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("k2"), VersionId: &v2}}}})
	if err != nil || len(res.Errors) != 0 || len(res.Deleted) != 1 || aws.ToString(res.Deleted[0].VersionId) != v2 {
		t.Fatalf("DeleteObjects with bypass: %+v, %v", res, err)
	}
}

func testLegalHold(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-hold"
	mkLockBucket(t, c, b)
	vid := aws.ToString(put(t, c, b, "k", []byte("held")).VersionId)
	getHold := func() types.ObjectLockLegalHoldStatus {
		t.Helper()
		out, err := c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: &b, Key: aws.String("k"), VersionId: &vid})
		if err != nil {
			t.Fatalf("GetObjectLegalHold: %v", err)
		}
		return out.LegalHold.Status
	}
	setHold := func(s types.ObjectLockLegalHoldStatus) {
		t.Helper()
		_, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: &b, Key: aws.String("k"), VersionId: &vid,
			LegalHold: &types.ObjectLockLegalHold{Status: s}})
		if err != nil {
			t.Fatalf("PutObjectLegalHold %s: %v", s, err)
		}
	}
	if s := getHold(); s != types.ObjectLockLegalHoldStatusOff {
		t.Fatalf("legal hold of a new version = %q", s)
	}
	setHold(types.ObjectLockLegalHoldStatusOn)
	if s := getHold(); s != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("legal hold after ON = %q", s)
	}
	head, err := headVersion(c, b, "k", vid)
	if err != nil || head.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn || head.ObjectLockMode != "" {
		t.Fatalf("HEAD of a held version: %+v, %v", head, err)
	}
	// A legal hold blocks deletion by version id even with the bypass.
	wantAPIError(t, deleteVersion(c, b, "k", vid, true), "AccessDenied", msgLocked)
	res, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, BypassGovernanceRetention: aws.Bool(true), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("k"), VersionId: &vid}}}})
	if err != nil || len(res.Errors) != 1 || aws.ToString(res.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects of a held version: %+v, %v", res, err)
	}
	setHold(types.ObjectLockLegalHoldStatusOff)
	if s := getHold(); s != types.ObjectLockLegalHoldStatusOff {
		t.Fatalf("legal hold after OFF = %q", s)
	}
	if err := deleteVersion(c, b, "k", vid, false); err != nil {
		t.Fatalf("delete after the hold was lifted: %v", err)
	}

	// The header on PUT sets the hold.
	v2 := putLocked(t, c, b, "k2", []byte("held"), "", time.Time{}, true)
	head, err = headVersion(c, b, "k2", v2)
	if err != nil || head.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("HEAD after PUT with legal hold: %+v, %v", head, err)
	}
	wantAPIError(t, deleteVersion(c, b, "k2", v2, false), "AccessDenied", msgLocked)
}

func testDeleteMarkerOverLock(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-marker"
	mkLockBucket(t, c, b)
	vid := putLocked(t, c, b, "k", []byte("kept"), types.ObjectLockModeCompliance, time.Now().Add(time.Hour), true)
	// A DELETE without version id only adds a delete marker: allowed.
	out, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatalf("DELETE of a locked key: %v", err)
	}
	if out.DeleteMarker == nil || !*out.DeleteMarker || aws.ToString(out.VersionId) == "" || aws.ToString(out.VersionId) == vid {
		t.Fatalf("DELETE answered marker %v version %q", out.DeleteMarker, aws.ToString(out.VersionId))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	wantAPIError(t, err, "NoSuchKey", "")
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &vid})
	if err != nil {
		t.Fatalf("GET of the locked version under the marker: %v", err)
	}
	if body := mustRead(t, got.Body); string(body) != "kept" || got.ObjectLockMode != types.ObjectLockModeCompliance {
		t.Fatalf("locked version: %q mode %q", body, got.ObjectLockMode)
	}
	// A delete marker has no lock to read or set: 405, as AWS answers.
	marker := aws.ToString(out.VersionId)
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &b, Key: aws.String("k"), VersionId: &marker})
	wantAPIError(t, err, "MethodNotAllowed", "")
	wantHTTPStatus(t, err, 405)
	_, err = c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: &b, Key: aws.String("k"), VersionId: &marker,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	wantAPIError(t, err, "MethodNotAllowed", "")
	// The marker itself carries no lock and goes.
	if err := deleteVersion(c, b, "k", aws.ToString(out.VersionId), false); err != nil {
		t.Fatalf("delete the marker: %v", err)
	}
	if got := get(t, c, b, "k"); string(got) != "kept" {
		t.Fatalf("after removing the marker: %q", got)
	}
}

func testBucketWithoutLock(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-without"
	mkBucket(t, c, b)
	put(t, c, b, "k", []byte("v"))
	k := aws.String("k")
	until := time.Now().Add(time.Hour)
	_, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &b, Key: k,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &until}})
	wantAPIError(t, err, "InvalidRequest", msgNoLock)
	wantHTTPStatus(t, err, 400)
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &b, Key: k})
	wantAPIError(t, err, "InvalidRequest", msgNoLock)
	_, err = c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: &b, Key: k,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	wantAPIError(t, err, "InvalidRequest", msgNoLock)
	_, err = c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: &b, Key: k})
	wantAPIError(t, err, "InvalidRequest", msgNoLock)
	// Even for a key that does not exist: the bucket is checked first.
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &b, Key: aws.String("nokey")})
	wantAPIError(t, err, "InvalidRequest", msgNoLock)
	// Lock headers on a write are refused, and nothing is written.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k2"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until})
	wantAPIError(t, err, "InvalidRequest", msgNoLock)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k2")})
	wantHTTPStatus(t, err, 404)
	// So are they on a copy, also onto itself (which only rewrites metadata).
	for _, dst := range []string{"k2", "k"} {
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: &dst, CopySource: aws.String(b + "/k"),
			MetadataDirective: types.MetadataDirectiveReplace, ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
		wantAPIError(t, err, "InvalidRequest", msgNoLock)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: k})
	if err != nil || head.ObjectLockMode != "" || head.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("HEAD of an unlocked object: %+v, %v", head, err)
	}

	// Enabling Object Lock on an existing bucket needs versioning Enabled.
	enable := func() error {
		_, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &b,
			ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
		return err
	}
	err = enable()
	wantAPIError(t, err, "InvalidBucketState", "Versioning must be 'Enabled'")
	wantHTTPStatus(t, err, 409)
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if err := enable(); err != nil {
		t.Fatalf("enable Object Lock on a versioned bucket: %v", err)
	}
	if _, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &b}); err != nil {
		t.Fatalf("GetObjectLockConfiguration after enabling: %v", err)
	}
	putLocked(t, c, b, "k3", []byte("x"), types.ObjectLockModeGovernance, until, false)
}

func testLockMultipartAndCopy(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-mpu"
	mkLockBucket(t, c, b)
	until := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("big"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until,
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	if err != nil {
		t.Fatalf("CreateMultipartUpload with lock: %v", err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("big"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("one part"))})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("big"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32}}}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	vid := aws.ToString(done.VersionId)
	head, err := headVersion(c, b, "big", vid)
	if err != nil || head.ObjectLockMode != types.ObjectLockModeCompliance || head.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn ||
		head.ObjectLockRetainUntilDate == nil || !head.ObjectLockRetainUntilDate.Equal(until) {
		t.Fatalf("HEAD of a completed locked upload: %+v, %v", head, err)
	}
	wantAPIError(t, deleteVersion(c, b, "big", vid, true), "AccessDenied", msgLocked)

	// A copy does not inherit the source's lock; it takes its own headers.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/big"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until})
	if err != nil {
		t.Fatalf("CopyObject with lock: %v", err)
	}
	cv := aws.ToString(cp.VersionId)
	head, err = headVersion(c, b, "copy", cv)
	if err != nil || head.ObjectLockMode != types.ObjectLockModeGovernance || head.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("HEAD of a locked copy: %+v, %v", head, err)
	}
	plain, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy2"), CopySource: aws.String(b + "/big")})
	if err != nil {
		t.Fatal(err)
	}
	head, err = headVersion(c, b, "copy2", aws.ToString(plain.VersionId))
	if err != nil || head.ObjectLockMode != "" || head.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("HEAD of an unlocked copy of a locked object: %+v, %v", head, err)
	}
}

func testLockHeaderErrors(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	b := "lock-hdr"
	mkLockBucket(t, c, b)
	putWith := func(in *s3.PutObjectInput) error {
		in.Bucket, in.Key, in.Body = &b, aws.String("k"), strings.NewReader("x")
		_, err := c.PutObject(ctx, in)
		return err
	}
	future, past := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	wantAPIError(t, putWith(&s3.PutObjectInput{ObjectLockMode: types.ObjectLockModeGovernance}), "InvalidArgument",
		"x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	wantAPIError(t, putWith(&s3.PutObjectInput{ObjectLockRetainUntilDate: &future}), "InvalidArgument", "must both be supplied")
	wantAPIError(t, putWith(&s3.PutObjectInput{ObjectLockMode: "FOREVER", ObjectLockRetainUntilDate: &future}), "InvalidArgument", "Unknown wormMode directive.")
	wantAPIError(t, putWith(&s3.PutObjectInput{ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &past}), "InvalidArgument",
		"The retain until date must be in the future!")
	wantAPIError(t, putWith(&s3.PutObjectInput{ObjectLockLegalHoldStatus: "MAYBE"}), "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'")
	_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k"), ObjectLockMode: types.ObjectLockModeGovernance})
	wantAPIError(t, err, "InvalidArgument", "must both be supplied")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
	wantHTTPStatus(t, err, 404)
}

// TestObjectLockDigest: the lock configuration calls need Content-MD5 or a
// checksum over their body (raw signed requests, since the SDK always adds
// one), and so does a PUT with lock parameters.
func TestObjectLockDigest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkLockBucket(t, c, "digest")
	vid := aws.ToString(put(t, c, "digest", "k", []byte("x")).VersionId)
	until := xmlTime(time.Now().Add(time.Hour))
	for _, tc := range []struct {
		name, path, body string
		applied          func(*s3.HeadObjectOutput) bool
	}{
		{"PutObjectLockConfiguration", "/digest?object-lock",
			`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`,
			nil},
		{"PutObjectRetention", "/digest/k?retention&versionId=" + vid,
			`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>` + until + `</RetainUntilDate></Retention>`,
			func(h *s3.HeadObjectOutput) bool { return h.ObjectLockMode == types.ObjectLockModeGovernance }},
		{"PutObjectLegalHold", "/digest/k?legal-hold&versionId=" + vid, `<LegalHold><Status>ON</Status></LegalHold>`,
			func(h *s3.HeadObjectOutput) bool {
				return h.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			applied := func() bool {
				t.Helper()
				if tc.applied == nil { // the bucket's default retention
					cfg, err := c.GetObjectLockConfiguration(context.Background(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String("digest")})
					if err != nil {
						t.Fatal(err)
					}
					return cfg.ObjectLockConfiguration.Rule != nil
				}
				head, err := headVersion(c, "digest", "k", vid)
				if err != nil {
					t.Fatal(err)
				}
				return tc.applied(head)
			}
			body := []byte(tc.body)
			resp := e.sendRaw(t, "alpha", "PUT", tc.path, nil, "UNSIGNED-PAYLOAD", body)
			if resp.status != 400 || !strings.Contains(resp.body, "<Code>InvalidRequest</Code><Message>"+msgNeedsDigest+"</Message>") {
				t.Fatalf("without a digest: %d %s", resp.status, resp.body)
			}
			resp = e.sendRaw(t, "alpha", "PUT", tc.path, http.Header{"Content-Md5": {md5b64([]byte("other"))}}, "UNSIGNED-PAYLOAD", body)
			if resp.status != 400 || !strings.Contains(resp.body, "<Code>BadDigest</Code>") {
				t.Fatalf("with a wrong MD5: %d %s", resp.status, resp.body)
			}
			if applied() {
				t.Fatal("a refused request was applied")
			}
			resp = e.sendRaw(t, "alpha", "PUT", tc.path, http.Header{"Content-Md5": {md5b64(body)}}, "UNSIGNED-PAYLOAD", body)
			if resp.status != 200 {
				t.Fatalf("with Content-MD5: %d %s", resp.status, resp.body)
			}
			if !applied() {
				t.Fatal("the accepted request was not applied")
			}
		})
	}

	// A PUT with lock parameters and no checksum: AWS's own message. The
	// SDK in when_required mode sends none, as against AWS.
	lockHdr := http.Header{"X-Amz-Object-Lock-Mode": {"GOVERNANCE"}, "X-Amz-Object-Lock-Retain-Until-Date": {until}}
	resp := e.sendRaw(t, "alpha", "PUT", "/digest/nodigest", lockHdr, "UNSIGNED-PAYLOAD", []byte("x"))
	if resp.status != 400 || !strings.Contains(resp.body, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters") {
		t.Fatalf("locked PUT without a digest: %d %s", resp.status, resp.body)
	}
	lockHdr.Set("Content-Md5", md5b64([]byte("x")))
	if resp := e.sendRaw(t, "alpha", "PUT", "/digest/withdigest", lockHdr, "UNSIGNED-PAYLOAD", []byte("x")); resp.status != 200 {
		t.Fatalf("locked PUT with Content-MD5: %d %s", resp.status, resp.body)
	}
	// The bucket now has a default retention: a PUT without lock headers
	// needs a digest too, since its version is locked all the same.
	resp = e.sendRaw(t, "alpha", "PUT", "/digest/default", nil, "UNSIGNED-PAYLOAD", []byte("x"))
	if resp.status != 400 || !strings.Contains(resp.body, "required for Put Object requests with Object Lock parameters") {
		t.Fatalf("PUT without a digest into a default-retention bucket: %d %s", resp.status, resp.body)
	}
	resp = e.sendRaw(t, "alpha", "PUT", "/digest/default", http.Header{"X-Amz-Checksum-Crc32": {checksum.CRC32.Sum([]byte("x"))}}, "UNSIGNED-PAYLOAD", []byte("x"))
	if resp.status != 200 {
		t.Fatalf("PUT with a CRC32 into a default-retention bucket: %d %s", resp.status, resp.body)
	}
	if head, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("digest"), Key: aws.String("default")}); err != nil ||
		head.ObjectLockMode != types.ObjectLockModeGovernance {
		t.Fatalf("default retention not applied: %+v, %v", head, err)
	}
	// Without a default retention (or without Object Lock) no digest is needed.
	mkLockBucket(t, c, "nodefault")
	mkBucket(t, c, "plain")
	for _, path := range []string{"/nodefault/k", "/plain/k"} {
		if resp := e.sendRaw(t, "alpha", "PUT", path, nil, "UNSIGNED-PAYLOAD", []byte("x")); resp.status != 200 {
			t.Fatalf("PUT %s without a digest: %d %s", path, resp.status, resp.body)
		}
	}
	wc := e.client("alpha", sdkWhenRequired)
	ut := time.Now().Add(time.Hour)
	_, err := wc.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("digest"), Key: aws.String("sdk"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &ut})
	wantAPIError(t, err, "InvalidRequest", "required for Put Object requests with Object Lock parameters")
	_, err = wc.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("digest"), Key: aws.String("sdk")})
	wantHTTPStatus(t, err, 404)
	// The lock calls themselves work in when_required mode: the API marks
	// them as requiring a checksum, so the SDK sends one.
	if err := putRetention(wc, "digest", "k", vid, types.ObjectLockRetentionModeGovernance, ut.Add(time.Hour), false); err != nil {
		t.Fatalf("PutObjectRetention in when_required mode: %v", err)
	}
}

// TestObjectLockHeadersSigned: the lock headers are x-amz-* headers, which
// the auth layer refuses unsigned: an unsigned x-amz-bucket-object-lock-enabled
// or x-amz-bypass-governance-retention cannot be slipped into a request.
func TestObjectLockHeadersSigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	send := func(method, path, extraName, extraValue string) int {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		cred := e.keys["alpha"]
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: cred.AccessKey, SecretAccessKey: cred.SecretKey},
			req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		req.Header.Set(extraName, extraValue) // after signing: not covered
		resp, err := e.http().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := send("PUT", "/unsigned-lock", "X-Amz-Bucket-Object-Lock-Enabled", "true"); st != 403 {
		t.Fatalf("CreateBucket with an unsigned lock header: %d", st)
	}
	_, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("unsigned-lock")})
	wantHTTPStatus(t, err, 404)

	mkLockBucket(t, c, "signed-bypass")
	vid := putLocked(t, c, "signed-bypass", "k", []byte("x"), types.ObjectLockModeGovernance, time.Now().Add(time.Hour), false)
	if st := send("DELETE", "/signed-bypass/k?versionId="+vid, "X-Amz-Bypass-Governance-Retention", "true"); st != 403 {
		t.Fatalf("DELETE with an unsigned bypass header: %d", st)
	}
	if _, err := headVersion(c, "signed-bypass", "k", vid); err != nil {
		t.Fatalf("version deleted by an unsigned bypass: %v", err)
	}
}

// TestObjectLockPartDigest: a part of an upload whose object will be
// locked needs Content-MD5 or a checksum, as AWS requires; a part of an
// upload without lock settings in a bucket without default retention does
// not.
func TestObjectLockPartDigest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	mkLockBucket(t, c, "partdigest")
	until := time.Now().Add(time.Hour)
	locked, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("partdigest"), Key: aws.String("locked"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("partdigest"), Key: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("part body")
	path := func(key, id string) string {
		return "/partdigest/" + key + "?partNumber=1&uploadId=" + url.QueryEscape(id)
	}
	resp := e.sendRaw(t, "alpha", "PUT", path("locked", aws.ToString(locked.UploadId)), nil, "UNSIGNED-PAYLOAD", body)
	if resp.status != 400 || !strings.Contains(resp.body, "required for Put Part requests with Object Lock parameters") {
		t.Fatalf("locked part without a digest: %d %s", resp.status, resp.body)
	}
	resp = e.sendRaw(t, "alpha", "PUT", path("locked", aws.ToString(locked.UploadId)), http.Header{"Content-Md5": {md5b64(body)}}, "UNSIGNED-PAYLOAD", body)
	if resp.status != 200 {
		t.Fatalf("locked part with Content-MD5: %d %s", resp.status, resp.body)
	}
	if resp := e.sendRaw(t, "alpha", "PUT", path("plain", aws.ToString(plain.UploadId)), nil, "UNSIGNED-PAYLOAD", body); resp.status != 200 {
		t.Fatalf("part of an unlocked upload without a digest: %d %s", resp.status, resp.body)
	}
}
