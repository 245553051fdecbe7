package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/cofferstore/coffer/storage"
)

// maxBucketsPage is AWS's ceiling (and default) for max-buckets.
const maxBucketsPage = 10000

// awsRegionForm is the shape of an AWS Region code ("us-east-1",
// "us-gov-west-1"); AWS compares it case-insensitively.
var awsRegionForm = regexp.MustCompile(`^(?i)[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// listBucketsOptions are ListBuckets' query parameters.
type listBucketsOptions struct {
	maxBuckets int
	after      string // resume after this bucket name ("" = from the start)
	prefix     string
}

// parseListBucketsOptions reads max-buckets, bucket-region,
// continuation-token and prefix, checked in the order AWS checks them;
// the first value of a repeated parameter counts.
func parseListBucketsOptions(q url.Values, region string) (listBucketsOptions, error) {
	o := listBucketsOptions{maxBuckets: maxBucketsPage, prefix: q.Get("prefix")}
	if q.Has("max-buckets") {
		v := q.Get("max-buckets")
		if len(v) > 32 {
			return o, argumentError("Provided max-buckets not an integer or within integer range", "max-buckets", v)
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return o, argumentError("Provided max-buckets not an integer or within integer range", "max-buckets", v)
		}
		if n < 1 || n > maxBucketsPage {
			norm := strconv.FormatInt(n, 10)
			return o, argumentError("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", norm)
		}
		o.maxBuckets = int(n)
	}
	if q.Has("bucket-region") {
		v := q.Get("bucket-region")
		switch {
		case !awsRegionForm.MatchString(v):
			return o, argumentError("Argument value "+v+" is not a valid AWS Region", "bucket-region", "")
		case !strings.EqualFold(v, region):
			return o, argumentError("Requests with bucket-region specified must be made to the corresponding regional endpoint", "bucket-region", "")
		}
	}
	if q.Has("continuation-token") {
		after, err := decodeBucketToken(q.Get("continuation-token"))
		if err != nil {
			return o, err
		}
		o.after = after
	}
	return o, nil
}

// bucketTokenVersion tells ListBuckets tokens from object listing tokens.
const bucketTokenVersion = "b1:"

var errInvalidBucketToken = argumentError("The continuation token provided is incorrect", "continuation-token", "")

func encodeBucketToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(bucketTokenVersion + after))
}

// decodeBucketToken returns the bucket name a token resumes after.
func decodeBucketToken(token string) (string, error) {
	if token == "" || len(token) > 1024 {
		return "", errInvalidBucketToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", errInvalidBucketToken
	}
	after, ok := strings.CutPrefix(string(raw), bucketTokenVersion)
	if !ok || after == "" || len(after) > 63 {
		return "", errInvalidBucketToken
	}
	return after, nil
}

type listAllMyBucketsResult struct {
	XMLName           xml.Name     `xml:"ListAllMyBucketsResult"`
	NS                string       `xml:"xmlns,attr"`
	Owner             owner        `xml:"Owner"`
	Buckets           []bucketElem `xml:"Buckets>Bucket"`
	ContinuationToken string       `xml:"ContinuationToken,omitempty"`
	Prefix            string       `xml:"Prefix,omitempty"`
}

type bucketElem struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

// listBuckets handles GET /: the tenant's buckets only, by name, paged by
// max-buckets with an opaque continuation token. A tenant's buckets are
// bounded by its bucket quota, so paging the full list here is cheap.
func (s *server) listBuckets(w http.ResponseWriter, r *http.Request, rq *request) error {
	o, err := parseListBucketsOptions(r.URL.Query(), s.region)
	if err != nil {
		return err
	}
	buckets, err := s.store.ListBuckets(rq.ctx, rq.tenant)
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{NS: s3NS, Owner: tenantOwner(rq.tenant), Buckets: []bucketElem{}, Prefix: o.prefix}
	page := pageBuckets(buckets, o)
	for _, b := range page {
		res.Buckets = append(res.Buckets, bucketElem{Name: b.Name, CreationDate: xmlTime(b.Created), BucketRegion: s.region})
	}
	if len(page) == o.maxBuckets {
		last := page[len(page)-1].Name
		if more := pageBuckets(buckets, listBucketsOptions{maxBuckets: 1, after: last, prefix: o.prefix}); len(more) > 0 {
			res.ContinuationToken = encodeBucketToken(last)
		}
	}
	return writeXML(w, http.StatusOK, res)
}

// pageBuckets selects, from buckets sorted by name, at most o.maxBuckets
// named after o.after and starting with o.prefix.
func pageBuckets(buckets []storage.BucketInfo, o listBucketsOptions) []storage.BucketInfo {
	var out []storage.BucketInfo
	for _, b := range buckets {
		if len(out) == o.maxBuckets {
			break
		}
		if b.Name > o.after && strings.HasPrefix(b.Name, o.prefix) {
			out = append(out, b)
		}
	}
	return out
}
