package auth

// LookupSecret resolves an access key as Verify does, for signatures the
// S3 layer checks itself: a browser upload form signs its policy document,
// not the request. Call MarkUsed once such a signature checks out.
func (v *Verifier) LookupSecret(accessKey string) (tenant, secret string, err error) {
	return v.lookup.LookupSecret(accessKey)
}

// MarkUsed records that accessKey signed a request that checked out, as
// Verify does for the requests it verifies.
func (v *Verifier) MarkUsed(accessKey string) {
	if u, ok := v.lookup.(usageRecorder); ok {
		u.MarkUsed(accessKey)
	}
}

// SigV2Disabled reports whether the verifier refuses AWS Signature Version
// 2, so that signed forms follow the same setting.
func (v *Verifier) SigV2Disabled() bool { return v.opts.DisableSigV2 }
