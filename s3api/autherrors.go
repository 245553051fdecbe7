package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/cofferstore/coffer/auth"
)

// errHeadersNotSigned is AWS's answer to x-amz-* headers outside the signature.
var errHeadersNotSigned = errorf("AccessDenied", http.StatusForbidden, "There were headers present in the request which were not signed")

// authDetail renders the auth errors that carry details, as AWS does: the
// unsigned header names in <HeadersNotSigned>, the expected region in
// <Region> with a message that depends on where the scope came from.
func authDetail(err error) *apiError {
	var ue *auth.UnsignedHeadersError
	if errors.As(err, &ue) {
		e := *errHeadersNotSigned
		e.Fields = []errorField{{XMLName: xml.Name{Local: "HeadersNotSigned"}, Value: strings.Join(ue.Names, ", ")}}
		return &e
	}
	var re *auth.RegionError
	if errors.As(err, &re) {
		e := errorf("AuthorizationHeaderMalformed", http.StatusBadRequest,
			"The authorization header is malformed; the region '"+re.Region+"' is wrong; expecting '"+re.Expected+"'")
		if re.Presigned {
			e = errorf("AuthorizationQueryParametersError", http.StatusBadRequest,
				"Error parsing the X-Amz-Credential parameter; the region '"+re.Region+"' is wrong; expecting '"+re.Expected+"'")
		}
		e.Fields = []errorField{{XMLName: xml.Name{Local: "Region"}, Value: re.Expected}}
		return e
	}
	return nil
}
