package s3api

import "strings"

// Buckets live in per-tenant namespaces. A signed request addresses its
// own tenant's buckets by their bare names; a request that is anonymous,
// or that reaches into another tenant's namespace, names the tenant in the
// bucket part of the address:
//
//   - path style, Ceph RGW's convention: /tenant:bucket/key;
//   - virtual-hosted style: bucket.tenant-s3alias.<domain>, that is the
//     host bucket "bucket.tenant-s3alias".
//
// Neither form is a valid bucket name (':' is not a bucket character, and
// S3 reserves the "-s3alias" suffix, which storage.ValidBucketName
// refuses), so no existing address changes meaning: a host whose bucket
// part ends in "-s3alias" could never have named a plain bucket.
const (
	tenantSep        = ":"
	tenantHostSuffix = "-s3alias"
)

// splitBucketAddress splits the bucket part of an address into the tenant
// it names and the bare bucket. named is false for a plain bucket name
// (tenant "" then means "the signer's own tenant"). It only splits: the
// names are validated where they are used (a malformed tenant or bucket
// simply names nothing).
func splitBucketAddress(s string) (tenant, bucket string, named bool) {
	if t, b, ok := strings.Cut(s, tenantSep); ok {
		return t, b, true
	}
	if rest, ok := strings.CutSuffix(s, tenantHostSuffix); ok {
		if i := strings.LastIndexByte(rest, '.'); i >= 0 {
			return rest[i+1:], rest[:i], true
		}
	}
	return "", s, false
}
