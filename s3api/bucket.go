package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// createBucketConfiguration is the optional CreateBucket body.
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

// createBucket handles PUT /bucket.
func (s *server) createBucket(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := checkUnsupportedWriteHeaders(r.Header); err != nil {
		return err
	}
	opts, err := bucketLockOption(r.Header)
	if err != nil {
		return err
	}
	data, err := readSmallBody(rq.body, maxSmallXML)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) > 0 {
		var cfg createBucketConfiguration
		if err := decodeXML(data, &cfg); err != nil {
			return err
		}
		if err := s.checkLocationConstraint(cfg.LocationConstraint); err != nil {
			return err
		}
	}
	if opts.Configs, err = s.createBucketConfigs(r, rq); err != nil {
		return err
	}
	if err := s.store.CreateBucket(rq.ctx, rq.tenant, rq.bucket, opts); err != nil {
		return err
	}
	s.auditBucket(r, rq, "bucket.create")
	w.Header().Set("Location", "/"+rq.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

// headBucket handles HEAD /bucket.
func (s *server) headBucket(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	w.Header().Set("X-Amz-Bucket-Region", s.region)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucket handles DELETE /bucket; only an empty bucket goes.
func (s *server) deleteBucket(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.store.DeleteBucket(rq.ctx, rq.tenant, rq.bucket, false); err != nil {
		return err
	}
	s.cors.invalidate(rq.tenant, rq.bucket)
	s.auditBucket(r, rq, "bucket.delete")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// locationConstraint is GetBucketLocation's answer; empty means us-east-1,
// exactly as AWS answers for that region.
type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	NS      string   `xml:"xmlns,attr"`
	Value   string   `xml:",chardata"`
}

// getBucketLocation handles GET /bucket?location.
func (s *server) getBucketLocation(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	res := locationConstraint{NS: s3NS}
	if s.region != "us-east-1" {
		res.Value = s.region
	}
	return writeXML(w, http.StatusOK, res)
}

// tenantOwner is the Owner element for a tenant's resources.
func tenantOwner(tenant string) owner { return owner{ID: tenant, DisplayName: tenant} }
