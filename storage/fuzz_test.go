package storage

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzNames(f *testing.F) {
	for _, s := range []string{"bkt", "my.bucket-1", "192.168.1.1", "a..b", "../x", "a\x00b", "\xff", "", strings.Repeat("a", 64), "xn--abc", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidObjectKey(s) == nil {
			if s == "" || len(s) > maxKeyLen || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("accepted key %q", s)
			}
		}
		if ValidBucketName(s) == nil {
			if len(s) < 3 || len(s) > 63 || strings.Contains(s, "..") || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
				t.Fatalf("accepted bucket %q", s)
			}
		}
		if validTenantName(s) == nil && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Fatalf("accepted tenant %q", s)
		}
		// No data file name can leave the drive's data directory.
		d := newLocalDrive("/drive")
		if p, err := d.dataPath(s); err == nil {
			if rel, err := filepath.Rel("/drive/data", p); err != nil || strings.HasPrefix(rel, "..") || strings.Count(rel, "/") != 1 {
				t.Fatalf("name %q maps to %q", s, p)
			}
		}
	})
}

func FuzzDecodeMeta(f *testing.F) {
	rec := &objRecord{ID: "0123456789abcdef0123456789abcdef", Tenant: "acme", Bucket: "bkt", Key: "k", Size: 3,
		Parts: []dataRef{{ID: "0123456789abcdef0123456789abcdef", Size: 3, Data: 2, Parity: 2, BlockSize: 4096, Inline: true}}}
	good, _ := encodeMeta(&metaHeader{Kind: "object", Shard: 1, Object: rec}, []byte("inline-bytes"))
	part, _ := encodeMeta(&metaHeader{Kind: "part", Part: &partRecord{UploadID: "u", Number: 2}}, nil)
	bkt, _ := encodeMeta(&metaHeader{Kind: "bucket", Shard: 3, BucketCfg: &bucketRecord{ID: "b", Tenant: "acme", Name: "bkt", Versioning: VersioningEnabled, CfgGen: 7},
		Configs: map[ConfigKind][]byte{ConfigPolicy: []byte(`{"Version":"2012-10-17"}`), ConfigACL: []byte("public-read")}}, nil)
	acl := *rec
	acl.ACL = "public-read"
	withACL, _ := encodeMeta(&metaHeader{Kind: "object", Shard: 0, Object: &acl}, nil)
	f.Add(good)
	f.Add(part)
	f.Add(bkt)
	f.Add(withACL)
	f.Add([]byte("CFM1"))
	f.Add(good[:len(good)-3])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, inline, err := decodeMeta(b)
		if err != nil {
			return
		}
		again, err := encodeMeta(h, inline)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		h2, inline2, err := decodeMeta(again)
		if err != nil || !bytes.Equal(inline, inline2) {
			t.Fatalf("round trip: %v", err)
		}
		j1, _ := json.Marshal(h)
		j2, _ := json.Marshal(h2)
		if !bytes.Equal(j1, j2) {
			t.Fatalf("header changed in round trip:\n%s\n%s", j1, j2)
		}
	})
}
