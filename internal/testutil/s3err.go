package testutil

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3ErrorCode is the S3 error code of an aws-sdk-go-v2 error ("NoSuchKey"),
// "" for nil, and the error's text when it carries no S3 error (so a
// failure message shows what happened instead).
func S3ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

// S3ErrorMessage is the S3 error message of an SDK error, or "".
func S3ErrorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// S3Status is the HTTP status of an SDK error, 0 if it carries none.
func S3Status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// WantS3Error fails the test unless err is an S3 error with this code and a
// message containing msg.
func WantS3Error(t testing.TB, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want S3 error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want code %s, got %s (%s)", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("code %s: want message containing %q, got %q", code, msg, ae.ErrorMessage())
	}
}

var xmlErrorCode = regexp.MustCompile(`<Code>([^<]*)</Code>`)

// XMLErrorCode is the <Code> of a raw S3 XML error body, or "".
func XMLErrorCode(body []byte) string {
	if m := xmlErrorCode.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}
