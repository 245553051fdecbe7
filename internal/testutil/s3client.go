package testutil

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Region is the signing region of the S3 clients S3Client builds: Coffer's
// default region, auth.DefaultRegion (testutil imports no Coffer package;
// internal/server's TestRegionStatedOnce keeps the two equal).
const Region = "us-east-1"

// S3Client builds an aws-sdk-go-v2 S3 client for endpoint (a base URL such as
// http://127.0.0.1:port) with a static key pair, path-style addressing and
// otherwise the SDK's defaults (checksums when supported, standard retryer).
// optFns adjust the options after those defaults, as s3.New applies them.
func S3Client(endpoint, accessKey, secretKey string, optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	}, optFns...)
}

// NoRetries is an S3Client option that sends every request once.
func NoRetries(o *s3.Options) { o.Retryer = aws.NopRetryer{} }
