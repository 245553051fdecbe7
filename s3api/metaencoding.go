package s3api

import (
	"encoding/base64"
	"mime"
	"strings"
)

// User metadata values travel in HTTP headers, which are ASCII. AWS
// decodes RFC 2047 encoded-words in x-amz-meta-* values before storing
// them and returns any value with non-ASCII characters as one RFC 2047
// encoded-word ("=?UTF-8?B?...?="), mail-safe; ASCII values travel as
// they are. Coffer does the same, so clients see what AWS would send.

// metaDecoder decodes encoded-words of the charsets Go knows (UTF-8,
// US-ASCII, ISO-8859-1); others are kept as sent.
var metaDecoder = mime.WordDecoder{}

// decodeMetaValue is the value to store for a received x-amz-meta-* value.
func decodeMetaValue(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	d, err := metaDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// encodeMetaValue is the header value to send for a stored value. A
// control character (one a decoded encoded-word may carry) is encoded
// too: it must never reach the header section raw.
func encodeMetaValue(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 0x7f || (c < 0x20 && c != '\t') {
			return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
		}
	}
	return v
}
