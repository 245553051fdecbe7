package s3api

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cofferstore/coffer/storage"
)

// Bucket tagging: Put/Get/DeleteBucketTagging, the bucket's TagSet kept as
// its ConfigTagging document (the Tagging XML as this layer renders it).

// S3's limits of a bucket's tag set (objects allow 10 tags).
const (
	maxBucketTags     = 50
	maxTagKeyChars    = 128
	maxTagValueChars  = 256
	maxBucketTagsBody = 64 << 10
)

func invalidTag(msg string) *apiError { return errorf("InvalidTag", http.StatusBadRequest, msg) }

// parseBucketTagging decodes and checks a PutBucketTagging body as S3
// does, with S3's InvalidTag messages.
func parseBucketTagging(data []byte) ([]tag, error) {
	var in tagging
	if err := decodeXML(data, &in); err != nil {
		return nil, err
	}
	if len(in.Tags) > maxBucketTags {
		return nil, invalidTag("Bucket tag count cannot be greater than 50")
	}
	seen := make(map[string]bool, len(in.Tags))
	for _, t := range in.Tags {
		switch {
		case t.Key == "" || !utf8.ValidString(t.Key):
			return nil, invalidTag("The TagKey you have provided is invalid")
		case utf8.RuneCountInString(t.Key) > maxTagKeyChars:
			return nil, invalidTag("The TagKey you have provided is too long, max 128")
		case !utf8.ValidString(t.Value):
			return nil, invalidTag("The TagValue you have provided is invalid")
		case utf8.RuneCountInString(t.Value) > maxTagValueChars:
			return nil, invalidTag("The TagValue you have provided is too long, max 256")
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return nil, invalidTag("System tags cannot be added/updated by requester")
		case seen[t.Key]:
			return nil, invalidTag("Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	sort.Slice(in.Tags, func(i, j int) bool { return in.Tags[i].Key < in.Tags[j].Key })
	return in.Tags, nil
}

// putBucketTagging handles PUT /bucket?tagging; S3 requires Content-MD5 (or
// a checksum) on it.
func (s *server) putBucketTagging(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readDigestedBody(r, rq, maxBucketTagsBody)
	if err != nil {
		return err
	}
	tags, err := parseBucketTagging(data)
	if err != nil {
		return err
	}
	var doc []byte // an empty TagSet removes the tags, as S3 then has none to return
	if len(tags) > 0 {
		if doc, err = xml.Marshal(tagging{NS: s3NS, Tags: tags}); err != nil {
			return err
		}
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigTagging, doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getBucketTagging handles GET /bucket?tagging: 404 NoSuchTagSet without tags.
func (s *server) getBucketTagging(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, err := s.store.GetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigTagging)
	if err != nil {
		return withBucketName(err, rq.bucket)
	}
	var out tagging
	if err := decodeXML(doc, &out); err != nil {
		return err
	}
	out.NS = s3NS
	if out.Tags == nil {
		out.Tags = []tag{}
	}
	return writeXML(w, http.StatusOK, out)
}

// deleteBucketTagging handles DELETE /bucket?tagging.
func (s *server) deleteBucketTagging(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigTagging, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
