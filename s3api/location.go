package s3api

import (
	"encoding/xml"
	"net/http"
)

// usEast1 is the region AWS never names in a LocationConstraint: a bucket
// there has an empty constraint, and an explicit one is refused.
const usEast1 = "us-east-1"

// checkLocationConstraint answers a CreateBucket LocationConstraint as AWS
// answers it at a regional endpoint of s.region: none is fine (Coffer has
// one region; AWS would refuse none outside us-east-1, which would break
// clients that never send one), the endpoint's own region is fine unless
// it is us-east-1, an explicit us-east-1 or a value that is not a region
// is InvalidLocationConstraint, and any other region
// IllegalLocationConstraintException.
func (s *server) checkLocationConstraint(lc string) error {
	switch {
	case lc == "":
		return nil
	case lc == s.region && lc != usEast1:
		return nil
	case lc == usEast1 || !awsRegionForm.MatchString(lc):
		e := errorf("InvalidLocationConstraint", http.StatusBadRequest, "The specified location-constraint is not valid")
		e.Fields = []errorField{{XMLName: xml.Name{Local: "LocationConstraint"}, Value: lc}}
		return e
	}
	return errorf("IllegalLocationConstraintException", http.StatusBadRequest,
		"The "+lc+" location constraint is incompatible for the region specific endpoint this request was sent to.")
}
