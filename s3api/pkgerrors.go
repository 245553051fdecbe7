package s3api

import (
	"encoding/xml"
	"errors"

	"github.com/cofferstore/coffer/pkg/cors"
	"github.com/cofferstore/coffer/pkg/postpolicy"
	"github.com/cofferstore/coffer/pkg/sse"
	"github.com/cofferstore/coffer/storage"
)

// packageError translates the S3 errors of the pure packages (cors,
// postpolicy, sse), which carry their own code, status, message and extra
// elements. It returns nil for any other error.
func packageError(err error) *apiError {
	var ce *cors.Error
	if errors.As(err, &ce) {
		ae := errorf(ce.Code, ce.Status, ce.Message)
		for _, f := range ce.Fields {
			ae.Fields = append(ae.Fields, errorField{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
		}
		return ae
	}
	var he *sse.HeaderError
	if errors.As(err, &he) {
		ae := errorf(he.Code, he.Status, he.Message)
		if he.Header != "" {
			ae.Fields = append(ae.Fields, errorField{XMLName: xml.Name{Local: "ArgumentName"}, Value: he.Header})
		}
		return ae
	}
	var pe *postpolicy.Error
	if errors.As(err, &pe) {
		ae := errorf(pe.Code, pe.Status, pe.Message)
		for _, f := range pe.Fields {
			ae.Fields = append(ae.Fields, errorField{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
		}
		return ae
	}
	return nil
}

// withBucketName adds S3's <BucketName> element to the error of a missing
// configuration document; other errors pass unchanged.
func withBucketName(err error, bucket string) error {
	if !errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return err
	}
	ae := *toAPIError(err)
	ae.Fields = append(ae.Fields[:len(ae.Fields):len(ae.Fields)], errorField{XMLName: xml.Name{Local: "BucketName"}, Value: bucket})
	return &ae
}
