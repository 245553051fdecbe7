package s3api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketTaggingSDK(t *testing.T) {
	for _, mode := range []checksumMode{sdkDefault, sdkWhenRequired} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, "alpha")
			c := e.client("alpha", mode)
			ctx := context.Background()
			mkBucket(t, c, "tag-bucket")
			putTags := func(tags ...types.Tag) error {
				_, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("tag-bucket"), Tagging: &types.Tagging{TagSet: tags}})
				return err
			}
			tg := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

			_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tag-bucket")})
			wantAPIError(t, err, "NoSuchTagSet", "The TagSet does not exist")
			_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("no-such-bucket")})
			wantAPIError(t, err, "NoSuchBucket", "")

			if err := putTags(tg("team", "web"), tg("cost-center", "42"), tg("empty", "")); err != nil {
				t.Fatal(err)
			}
			out, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tag-bucket")})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range out.TagSet {
				got = append(got, aws.ToString(x.Key)+"="+aws.ToString(x.Value))
			}
			if strings.Join(got, ",") != "cost-center=42,empty=,team=web" {
				t.Fatalf("tags %v", got)
			}

			// AWS's validation, each refusal leaving the stored set.
			fifty := make([]types.Tag, 51)
			for i := range fifty {
				fifty[i] = tg(fmt.Sprintf("k%d", i), "v")
			}
			for name, tc := range map[string]struct {
				tags []types.Tag
				msg  string
			}{
				"count":     {fifty, "Bucket tag count cannot be greater than 50"},
				"duplicate": {[]types.Tag{tg("a", "1"), tg("a", "2")}, "Cannot provide multiple Tags with the same key"},
				"key":       {[]types.Tag{tg(strings.Repeat("k", 129), "v")}, "The TagKey you have provided is too long, max 128"},
				"value":     {[]types.Tag{tg("k", strings.Repeat("v", 257))}, "The TagValue you have provided is too long, max 256"},
				"empty key": {[]types.Tag{tg("", "v")}, "The TagKey you have provided is invalid"},
				"aws:":      {[]types.Tag{tg("aws:x", "v")}, "System tags cannot be added/updated by requester"},
			} {
				t.Run(name, func(t *testing.T) { wantAPIError(t, putTags(tc.tags...), "InvalidTag", tc.msg) })
			}
			if err := putTags(fifty[:50]...); err != nil {
				t.Fatalf("50 tags: %v", err)
			}
			if err := putTags(tg(strings.Repeat("é", 128), strings.Repeat("ü", 256))); err != nil {
				t.Fatalf("limits count characters: %v", err)
			}
			out, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tag-bucket")})
			if err != nil || len(out.TagSet) != 1 || aws.ToString(out.TagSet[0].Key) != strings.Repeat("é", 128) {
				t.Fatalf("after replace: %v %v", out, err)
			}

			if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("tag-bucket")}); err != nil {
				t.Fatal(err)
			}
			_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tag-bucket")})
			wantAPIError(t, err, "NoSuchTagSet", "")
			_, err = c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("no-such-bucket")})
			wantAPIError(t, err, "NoSuchBucket", "")
		})
	}
}

func TestPutBucketTaggingNeedsDigest(t *testing.T) {
	e := newEnv(t, "alpha")
	mkBucket(t, e.client("alpha", sdkDefault), "tag-bucket")
	body := []byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`)
	got := e.sendRaw(t, "alpha", "PUT", "/tag-bucket?tagging", http.Header{}, "UNSIGNED-PAYLOAD", body)
	wantS3Error(t, "no digest", got, 400, "InvalidRequest", "Content-MD5")
	got = e.sendRaw(t, "alpha", "PUT", "/tag-bucket?tagging", http.Header{"Content-Md5": {md5b64(body)}}, "UNSIGNED-PAYLOAD", body)
	if got.status != 204 {
		t.Fatalf("with Content-MD5: %d %s", got.status, got.body)
	}
	got = e.sendRaw(t, "alpha", "GET", "/tag-bucket?tagging", http.Header{}, "UNSIGNED-PAYLOAD", nil)
	if got.status != 200 || !strings.Contains(got.body, "<TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet>") {
		t.Fatalf("GET: %d %s", got.status, got.body)
	}
}
