package s3api

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/pkg/cors"
	"github.com/cofferstore/coffer/pkg/postpolicy"
)

// TestPackageErrorsMapped: every error of pkg/cors and pkg/postpolicy is
// rendered with its own code, status and extra elements, wrapped or not,
// never as InternalError.
func TestPackageErrorsMapped(t *testing.T) {
	for name, err := range map[string]error{
		"postpolicy.ErrNotMultipart":      postpolicy.ErrNotMultipart,
		"postpolicy.ErrMalformedPOST":     postpolicy.ErrMalformedPOST,
		"postpolicy.ErrNoFile":            postpolicy.ErrNoFile,
		"postpolicy.ErrSignatureMismatch": postpolicy.ErrSignatureMismatch,
		"postpolicy.ErrSigV2Disabled":     postpolicy.ErrSigV2Disabled,
		"postpolicy.ErrPolicyExpired":     postpolicy.ErrPolicyExpired,
		"cors.ErrMalformedXML":            cors.ErrMalformedXML,
		"cors.ErrTooLarge":                cors.ErrTooLarge,
		"cors.ErrNoOrigin":                cors.ErrNoOrigin,
		"cors.ErrNoRequestMethod":         cors.ErrNoRequestMethod,
		"cors.ErrNotEnabled":              cors.ErrNotEnabled,
		"cors.ErrNotAllowed":              cors.ErrNotAllowed,
		"cors.ErrNoSuchConfiguration":     cors.ErrNoSuchConfiguration,
	} {
		ae := toAPIError(fmt.Errorf("wrapped: %w", err))
		if ae == errInternal || ae.Code == "InternalError" || !strings.Contains(err.Error(), ae.Code) || ae.Status < 400 {
			t.Errorf("%s maps to %+v", name, ae)
		}
	}
	// Extra elements travel into the <Error> document.
	_, _, err := (&cors.Configuration{Rules: []cors.Rule{{AllowedOrigins: []string{"http://a"}, AllowedMethods: []string{"GET"}}}}).
		Preflight(cors.Request{Method: "OPTIONS", Origin: "http://b", RequestMethod: "PUT", Object: true})
	w := httptest.NewRecorder()
	writeError(w, httptest.NewRequest("OPTIONS", "/t:b/k", nil), "R", toAPIError(err))
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Method>PUT</Method><ResourceType>OBJECT</ResourceType>") {
		t.Fatalf("refused preflight: %d %s", w.Code, w.Body.String())
	}
}
