package sse_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/cofferstore/coffer/pkg/sse"
)

// An SSE-S3 object written, its record stored, and a range read back.
func Example() {
	master, _ := sse.NewMasterKey(bytes.Repeat([]byte{1}, 32))
	ctx := sse.Context{Bucket: "tenant/bucket", Key: "notes.txt", Version: "v1"}
	body := strings.Repeat("attack at dawn. ", 8192) // 128 KiB: two chunks

	rec, c, _ := sse.NewS3(master, ctx)
	var stored bytes.Buffer // stands for the erasure-coded shards
	w, _ := c.NewWriter(&stored)
	_, _ = io.Copy(w, strings.NewReader(body))
	w.Close()
	data, _ := rec.Marshal()

	rec2, _ := sse.Unmarshal(data)
	c2, _ := rec2.Open(ctx, master)
	rc, _ := c2.DecryptRange(sse.FetchFrom(bytes.NewReader(stored.Bytes())), int64(len(body)), 65530, 16)
	got, _ := io.ReadAll(rc)
	fmt.Println(stored.Len() == int(sse.EncryptedSize(int64(len(body)))), string(got))
	// Output: true dawn. attack at
}
