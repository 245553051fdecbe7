package storage

import "github.com/cofferstore/coffer/pkg/sse"

// Placeholder until h5-sse's storage/sse.go lands (it defines these).
func (r *objRecord) sseContext() sse.Context {
	return sse.Context{Bucket: r.Tenant + "/" + r.Bucket, Key: r.Key, Version: r.ID}
}

func (u *uploadRecord) sseContext() sse.Context {
	return sse.Context{Bucket: u.Tenant + "/" + u.Bucket, Key: u.Key, Version: u.UploadID}
}
