package s3api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKLifecycle drives Put/Get/DeleteBucketLifecycleConfiguration and
// the x-amz-expiration and x-amz-abort-* headers with aws-sdk-go-v2.
func TestSDKLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	for _, mode := range []checksumMode{sdkDefault, sdkWhenRequired} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			c := e.client("alpha", mode)
			b := "life-" + strings.ToLower(mode.String())
			mkBucket(t, c, b)

			_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &b})
			wantAPIError(t, err, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
			wantHTTPStatus(t, err, 404)

			// Headers before any configuration: none.
			out := put(t, c, b, "logs/a", []byte("abc"))
			if out.Expiration != nil {
				t.Fatalf("x-amz-expiration without a rule: %q", *out.Expiration)
			}

			rules := []types.LifecycleRule{
				{ID: aws.String("logs-30"), Status: types.ExpirationStatusEnabled,
					Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
					Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)}},
				{ID: aws.String("old versions"), Status: types.ExpirationStatusEnabled,
					Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
					NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(5),
						NewerNoncurrentVersions: aws.Int32(2)}},
				{ID: aws.String("uploads"), Status: types.ExpirationStatusEnabled,
					Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("up/")},
					AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(3)}},
			}
			_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &b,
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
			if err != nil {
				t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
			}
			got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &b})
			if err != nil {
				t.Fatalf("GetBucketLifecycleConfiguration: %v", err)
			}
			if len(got.Rules) != 3 || *got.Rules[0].ID != "logs-30" || *got.Rules[0].Expiration.Days != 30 ||
				*got.Rules[0].Filter.Prefix != "logs/" || *got.Rules[1].NoncurrentVersionExpiration.NoncurrentDays != 5 ||
				*got.Rules[1].NoncurrentVersionExpiration.NewerNoncurrentVersions != 2 ||
				*got.Rules[2].AbortIncompleteMultipartUpload.DaysAfterInitiation != 3 {
				t.Fatalf("rules read back differ: %+v", got.Rules)
			}

			// x-amz-expiration on PUT, HEAD and GET of a key the rule covers.
			before := time.Now().UTC()
			out = put(t, c, b, "logs/b", []byte("abcd"))
			wantExpiry := midnightAfter(before.AddDate(0, 0, 30))
			want := `expiry-date="` + wantExpiry.Format(http.TimeFormat) + `", rule-id="logs-30"`
			if out.Expiration == nil || *out.Expiration != want {
				t.Fatalf("PUT x-amz-expiration = %v, want %s", aws.ToString(out.Expiration), want)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("logs/b")})
			if err != nil || aws.ToString(head.Expiration) != want {
				t.Fatalf("HEAD x-amz-expiration = %v, %v; want %s", aws.ToString(head.Expiration), err, want)
			}
			g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("logs/b")})
			if err != nil {
				t.Fatal(err)
			}
			mustRead(t, g.Body)
			if aws.ToString(g.Expiration) != want {
				t.Fatalf("GET x-amz-expiration = %v, want %s", aws.ToString(g.Expiration), want)
			}
			// A key no expiration rule covers has no header.
			if out := put(t, c, b, "data/x", []byte("y")); out.Expiration != nil {
				t.Fatalf("x-amz-expiration outside the prefix: %q", *out.Expiration)
			}

			// Abort headers on CreateMultipartUpload and ListParts.
			before = time.Now().UTC()
			mu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("up/big")})
			if err != nil {
				t.Fatal(err)
			}
			wantAbort := midnightAfter(before.AddDate(0, 0, 3))
			if mu.AbortDate == nil || !mu.AbortDate.Equal(wantAbort) || aws.ToString(mu.AbortRuleId) != "uploads" {
				t.Fatalf("CreateMultipartUpload abort = %v %v, want %v uploads", mu.AbortDate, aws.ToString(mu.AbortRuleId), wantAbort)
			}
			lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: aws.String("up/big"), UploadId: mu.UploadId})
			if err != nil || lp.AbortDate == nil || !lp.AbortDate.Equal(wantAbort) || aws.ToString(lp.AbortRuleId) != "uploads" {
				t.Fatalf("ListParts abort = %v %v %v", lp.AbortDate, aws.ToString(lp.AbortRuleId), err)
			}
			// CompleteMultipartUpload of a key a rule expires carries x-amz-expiration too.
			lmu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("logs/mp")})
			if err != nil {
				t.Fatal(err)
			}
			part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("logs/mp"), UploadId: lmu.UploadId,
				PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
			if err != nil {
				t.Fatal(err)
			}
			done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("logs/mp"), UploadId: lmu.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag,
					ChecksumCRC32: part.ChecksumCRC32, ChecksumCRC32C: part.ChecksumCRC32C, ChecksumCRC64NVME: part.ChecksumCRC64NVME}}}})
			if err != nil || !strings.Contains(aws.ToString(done.Expiration), `rule-id="logs-30"`) {
				t.Fatalf("CompleteMultipartUpload x-amz-expiration = %q, %v", aws.ToString(done.Expiration), err)
			}
			mu2, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("other")})
			if err != nil || mu2.AbortDate != nil || mu2.AbortRuleId != nil {
				t.Fatalf("upload outside the rule got abort headers: %v %v %v", mu2.AbortDate, mu2.AbortRuleId, err)
			}

			// Validation errors as AWS words them; the stored rules stay.
			_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &b,
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
					ID: aws.String("zero"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
					Expiration: &types.LifecycleExpiration{Days: aws.Int32(0)}}}}})
			wantAPIError(t, err, "InvalidArgument", "'Days' for Expiration action must be a positive integer")
			_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &b,
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
					ID: aws.String("t"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
					Transitions: []types.Transition{{Days: aws.Int32(30), StorageClass: types.TransitionStorageClassGlacier}}}}}})
			wantAPIError(t, err, "NotImplemented", "single storage class")
			wantHTTPStatus(t, err, 501)
			_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &b,
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
					ID: aws.String("tags"), Status: types.ExpirationStatusEnabled,
					Filter:                         &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}},
					AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}}}}})
			wantAPIError(t, err, "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags.")
			if got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &b}); err != nil || len(got.Rules) != 3 {
				t.Fatalf("a refused PUT changed the rules: %v", err)
			}

			// Delete: the configuration and its headers are gone (the cache forgot it).
			if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: &b}); err != nil {
				t.Fatalf("DeleteBucketLifecycle: %v", err)
			}
			_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &b})
			wantAPIError(t, err, "NoSuchLifecycleConfiguration", "does not exist")
			head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("logs/b")})
			if err != nil || head.Expiration != nil {
				t.Fatalf("HEAD after delete: expiration %v, %v", aws.ToString(head.Expiration), err)
			}
			if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: &b}); err != nil {
				t.Fatalf("second DeleteBucketLifecycle: %v", err)
			}
			_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("nope-bucket")})
			wantAPIError(t, err, "NoSuchBucket", "")
		})
	}
}

// midnightAfter is AWS's day rounding: the next midnight UTC strictly after t.
func midnightAfter(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
}

// TestLifecycleDigest: PUT ?lifecycle without Content-MD5 or a checksum is
// refused as AWS refuses it, and nothing is stored.
func TestLifecycleDigest(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "lcd")
	body := []byte(`<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`)
	resp := e.sendRaw(t, "alpha", "PUT", "/lcd?lifecycle", nil, "UNSIGNED-PAYLOAD", body)
	if resp.status != 400 || !strings.Contains(resp.body, "<Code>InvalidRequest</Code>") || !strings.Contains(resp.body, "Content-MD5 OR x-amz-checksum-*") {
		t.Fatalf("no digest: %d %s", resp.status, resp.body)
	}
	resp = e.sendRaw(t, "alpha", "PUT", "/lcd?lifecycle", http.Header{"Content-Md5": {md5b64([]byte("x"))}}, "UNSIGNED-PAYLOAD", body)
	if resp.status != 400 || !strings.Contains(resp.body, "<Code>BadDigest</Code>") {
		t.Fatalf("wrong MD5: %d %s", resp.status, resp.body)
	}
	_, err := c.GetBucketLifecycleConfiguration(context.Background(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lcd")})
	wantAPIError(t, err, "NoSuchLifecycleConfiguration", "does not exist")
	bad := []byte(`<LifecycleConfiguration><Rule>`)
	resp = e.sendRaw(t, "alpha", "PUT", "/lcd?lifecycle", http.Header{"Content-Md5": {md5b64(bad)}}, "UNSIGNED-PAYLOAD", bad)
	if resp.status != 400 || !strings.Contains(resp.body, "<Code>MalformedXML</Code>") {
		t.Fatalf("malformed: %d %s", resp.status, resp.body)
	}
	resp = e.sendRaw(t, "alpha", "PUT", "/lcd?lifecycle", http.Header{"Content-Md5": {md5b64(body)}}, "UNSIGNED-PAYLOAD", body)
	if resp.status != 200 {
		t.Fatalf("good PUT: %d %s", resp.status, resp.body)
	}
}

// TestSDKLifecycleRuleKinds stores every kind of rule and filter with the
// SDK and reads it back, and checks x-amz-expiration follows tag and size
// filters and a Date.
func TestSDKLifecycleRuleKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	b := "kinds"
	mkBucket(t, c, b)
	date := time.Date(2031, 3, 4, 0, 0, 0, 0, time.UTC)
	rules := []types.LifecycleRule{
		{ID: aws.String("tagged-big"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("t/"),
				Tags: []types.Tag{{Key: aws.String("class"), Value: aws.String("tmp")}}, ObjectSizeGreaterThan: aws.Int64(3)}},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(2)}},
		{ID: aws.String("dated"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("d/")},
			Expiration: &types.LifecycleExpiration{Date: &date}},
		{ID: aws.String("small"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{ObjectSizeLessThan: aws.Int64(2)},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(9)}},
		{ID: aws.String("markers"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(400)}},
		{ID: aws.String("off"), Status: types.ExpirationStatusDisabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration:                     &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)},
			NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}},
	}
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &b})
	if err != nil || len(got.Rules) != len(rules) {
		t.Fatalf("GetBucketLifecycleConfiguration: %d rules, %v", len(got.Rules), err)
	}
	r0 := got.Rules[0].Filter.And
	if r0 == nil || aws.ToString(r0.Prefix) != "t/" || len(r0.Tags) != 1 || aws.ToString(r0.Tags[0].Value) != "tmp" ||
		aws.ToInt64(r0.ObjectSizeGreaterThan) != 3 {
		t.Fatalf("And filter read back: %+v", r0)
	}
	if d := got.Rules[1].Expiration.Date; d == nil || !d.Equal(date) {
		t.Fatalf("Date read back: %v", d)
	}
	if aws.ToInt64(got.Rules[2].Filter.ObjectSizeLessThan) != 2 || aws.ToString(got.Rules[3].Filter.Tag.Key) != "k" {
		t.Fatalf("size/tag filters read back: %+v %+v", got.Rules[2].Filter, got.Rules[3].Filter)
	}
	off := got.Rules[4]
	if off.Status != types.ExpirationStatusDisabled || !aws.ToBool(off.Expiration.ExpiredObjectDeleteMarker) ||
		aws.ToInt32(off.NoncurrentVersionExpiration.NoncurrentDays) != 1 || aws.ToInt32(off.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 1 {
		t.Fatalf("disabled rule read back: %+v", off)
	}

	putTagged := func(key, body, tagging string) *s3.PutObjectOutput {
		t.Helper()
		in := &s3.PutObjectInput{Bucket: &b, Key: aws.String(key), Body: strings.NewReader(body)}
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		out, err := c.PutObject(ctx, in)
		if err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
		return out
	}
	for _, tc := range []struct {
		key, body, tagging, rule string
	}{
		{"t/a", "long body", "class=tmp", "tagged-big"},
		{"t/b", "long body", "class=keep", ""}, // wrong tag
		{"t/c", "abc", "class=tmp", ""},        // not greater than 3 bytes
		{"d/x", "abc", "", "dated"},
		{"s", "x", "", "small"},
		{"tagged", "abc", "k=v", "markers"},
		{"none", "abc", "", ""},
	} {
		exp := aws.ToString(putTagged(tc.key, tc.body, tc.tagging).Expiration)
		if tc.rule == "" {
			if exp != "" {
				t.Errorf("%s: unexpected x-amz-expiration %q", tc.key, exp)
			}
			continue
		}
		if !strings.Contains(exp, `rule-id="`+tc.rule+`"`) {
			t.Errorf("%s: x-amz-expiration %q, want rule %s", tc.key, exp, tc.rule)
		}
		if tc.rule == "dated" && !strings.Contains(exp, `expiry-date="Tue, 04 Mar 2031 00:00:00 GMT"`) {
			t.Errorf("dated: %q", exp)
		}
	}
}
