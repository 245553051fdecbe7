package s3api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestListBucketsPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha", "beta")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	var want []string
	for i := range 5 {
		name := fmt.Sprintf("page-%d", i)
		mkBucket(t, c, name)
		want = append(want, name)
	}
	mkBucket(t, c, "other")
	mkBucket(t, e.client("beta", sdkWhenRequired), "page-beta") // another tenant's: never listed

	// Paged by two with a prefix: every page names the rest, the last none.
	var got []string
	var token *string
	for range 10 {
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2), Prefix: aws.String("page-"), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Prefix) != "page-" {
			t.Fatalf("Prefix %q", aws.ToString(out.Prefix))
		}
		for _, b := range out.Buckets {
			if aws.ToString(b.BucketRegion) != "us-east-1" {
				t.Fatalf("bucket %s region %q", aws.ToString(b.Name), aws.ToString(b.BucketRegion))
			}
			got = append(got, aws.ToString(b.Name))
		}
		if token = out.ContinuationToken; token == nil {
			break
		}
		if len(out.Buckets) != 2 {
			t.Fatalf("a page with a token has %d buckets", len(out.Buckets))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged listing %v, want %v", got, want)
	}
	// The SDK's paginator walks the same pages.
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(4)})
	got = nil
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
		}
	}
	if !slices.Equal(got, append([]string{"other"}, want...)) {
		t.Fatalf("paginator %v", got)
	}
	// Unpaged: everything, no token.
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 6 || out.ContinuationToken != nil {
		t.Fatalf("unpaged: %d buckets, token %v, %v", len(out.Buckets), out.ContinuationToken, err)
	}
	// Exactly a page's worth left: no token pointing at an empty page.
	out, err = c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(6)})
	if err != nil || len(out.Buckets) != 6 || out.ContinuationToken != nil {
		t.Fatalf("max-buckets=6 of 6: %d buckets, token %v, %v", len(out.Buckets), out.ContinuationToken, err)
	}
	out, err = c.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String("us-east-1")})
	if err != nil || len(out.Buckets) != 6 {
		t.Fatalf("bucket-region=us-east-1: %+v, %v", out, err)
	}

	// Refusals, as AWS words them, checked in AWS's order.
	for _, tc := range []struct{ query, msg, members string }{
		{"max-buckets=abc", "Provided max-buckets not an integer or within integer range", "<ArgumentName>max-buckets</ArgumentName><ArgumentValue>abc</ArgumentValue>"},
		{"max-buckets=%201", "Provided max-buckets not an integer or within integer range", "<ArgumentName>max-buckets</ArgumentName><ArgumentValue> 1</ArgumentValue>"},
		{"max-buckets=0", "Argument max-buckets must be an integer between 1 and 10000", "<ArgumentName>max-buckets</ArgumentName><ArgumentValue>0</ArgumentValue>"},
		{"max-buckets=-01", "Argument max-buckets must be an integer between 1 and 10000", "<ArgumentName>max-buckets</ArgumentName><ArgumentValue>-1</ArgumentValue>"},
		{"max-buckets=010001", "Argument max-buckets must be an integer between 1 and 10000", "<ArgumentName>max-buckets</ArgumentName><ArgumentValue>10001</ArgumentValue>"},
		{"max-buckets=99999999999999999999", "Provided max-buckets not an integer or within integer range", "<ArgumentName>max-buckets</ArgumentName>"},
		{"max-buckets=0&bucket-region=zz", "Argument max-buckets must be an integer between 1 and 10000", ""},
		{"bucket-region=zz", "Argument value zz is not a valid AWS Region", "<ArgumentName>bucket-region</ArgumentName>"},
		{"bucket-region=", "Argument value  is not a valid AWS Region", ""},
		{"bucket-region=eu-west-1", "Requests with bucket-region specified must be made to the corresponding regional endpoint", "<ArgumentName>bucket-region</ArgumentName>"},
		{"continuation-token=garbage", "The continuation token provided is incorrect", "<ArgumentName>continuation-token</ArgumentName>"},
		{"continuation-token=", "The continuation token provided is incorrect", ""},
		{"continuation-token=" + url.QueryEscape(encodeContinuationToken("page-1")), "The continuation token provided is incorrect", ""},
	} {
		res := e.sendSigned(t, "GET", "/?"+tc.query, nil, nil)
		wantS3Error(t, tc.query, res, http.StatusBadRequest, "InvalidArgument", "<Message>"+tc.msg+"</Message>"+tc.members)
	}
	_, err = c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(0)})
	wantAPIError(t, err, "InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000")
}

func TestCreateBucketLocationConstraint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	// AWS refuses an explicit us-east-1: a bucket there has no constraint.
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("loc-east"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}})
	wantAPIError(t, err, "InvalidLocationConstraint", "The specified location-constraint is not valid")
	res := e.sendSigned(t, "PUT", "/loc-east", nil, []byte(`<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`))
	wantS3Error(t, "explicit us-east-1", res, http.StatusBadRequest, "InvalidLocationConstraint",
		"<Message>The specified location-constraint is not valid</Message><LocationConstraint>us-east-1</LocationConstraint>")
	res = e.sendSigned(t, "PUT", "/loc-east", nil, []byte(`<CreateBucketConfiguration><LocationConstraint>nowhere</LocationConstraint></CreateBucketConfiguration>`))
	wantS3Error(t, "not a region", res, http.StatusBadRequest, "InvalidLocationConstraint")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("loc-east"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintApSouth1}})
	wantAPIError(t, err, "IllegalLocationConstraintException", "The ap-south-1 location constraint is incompatible for the region specific endpoint this request was sent to.")
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("loc-east")}); err == nil {
		t.Fatal("a refused CreateBucket made the bucket")
	}
	// No constraint: created, and GetBucketLocation answers empty (us-east-1).
	mkBucket(t, c, "loc-east")
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("loc-east")})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("GetBucketLocation = %q, %v", loc.LocationConstraint, err)
	}
	res = e.sendSigned(t, "GET", "/loc-east?location", nil, nil)
	if res.status != 200 || !strings.Contains(res.body, `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`) || strings.Contains(res.body, "us-east-1") {
		t.Fatalf("raw GetBucketLocation: %d %s", res.status, res.body)
	}
}

// TestLocationConstraintOtherRegion checks a server whose region is not
// us-east-1: its own region is accepted, us-east-1 and others are not.
func TestLocationConstraintOtherRegion(t *testing.T) {
	s := &server{region: "eu-central-1"}
	for lc, code := range map[string]string{
		"": "", "eu-central-1": "", "us-east-1": "InvalidLocationConstraint", "EU-CENTRAL-1x": "InvalidLocationConstraint",
		"eu-west-1": "IllegalLocationConstraintException", "x": "InvalidLocationConstraint",
	} {
		err := s.checkLocationConstraint(lc)
		got := ""
		if err != nil {
			got = toAPIError(err).Code
		}
		if got != code {
			t.Errorf("LocationConstraint %q: %q, want %q", lc, got, code)
		}
	}
}
