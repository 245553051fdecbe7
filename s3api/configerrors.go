package s3api

import (
	"errors"
	"net/http"

	"github.com/cofferstore/coffer/storage"
)

// noSuchConfig is S3's answer for each configuration kind that is not set
// (storage.NoSuchConfigError names the kind).
var noSuchConfig = map[storage.ConfigKind]*apiError{
	storage.ConfigPolicy:            errorf("NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist"),
	storage.ConfigCORS:              errorf("NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist"),
	storage.ConfigLifecycle:         errorf("NoSuchLifecycleConfiguration", http.StatusNotFound, "The lifecycle configuration does not exist"),
	storage.ConfigEncryption:        errorf("ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound, "The server side encryption configuration was not found"),
	storage.ConfigTagging:           errorf("NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist"),
	storage.ConfigPublicAccessBlock: errorf("NoSuchPublicAccessBlockConfiguration", http.StatusNotFound, "The public access block configuration was not found"),
	storage.ConfigOwnershipControls: errorf("OwnershipControlsNotFoundError", http.StatusNotFound, "The bucket ownership controls were not found"),
}

// configError picks the kind's code for a missing configuration.
func configError(err error) *apiError {
	var nc *storage.NoSuchConfigError
	if errors.As(err, &nc) {
		if ae, ok := noSuchConfig[nc.Kind]; ok {
			return ae
		}
	}
	return nil
}
