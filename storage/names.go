package storage

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxKeyLen is the S3 limit on object key length in bytes.
const maxKeyLen = 1024

// validTenantName reports whether name is 3-63 characters of lower-case
// letters, digits and hyphens, starting and ending with a letter or digit.
func validTenantName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("%w: %q must be 3 to 63 characters", ErrInvalidTenantName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%w: %q may hold only lower-case letters, digits and hyphens", ErrInvalidTenantName, name)
		}
	}
	if name[0] == '-' || name[len(name)-1] == '-' {
		return fmt.Errorf("%w: %q must start and end with a letter or digit", ErrInvalidTenantName, name)
	}
	return nil
}

// ValidBucketName returns nil when name follows the S3 bucket naming rules:
// 3-63 characters of lower-case letters, digits, dots and hyphens, starting
// and ending with a letter or digit, no "..", ".-" or "-.", not four
// dot-separated groups of digits (an IPv4 address, or what some parsers
// take for one), no "xn--" or "sthree-" prefix and no "-s3alias" or
// "--ol-s3" suffix. The console's names.js states the same rule; the table
// in testdata/names.json is checked against both.
func ValidBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("%w: %q must be 3 to 63 characters long", ErrInvalidBucketName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return fmt.Errorf("%w: %q may hold only lower-case letters, digits, dots and hyphens", ErrInvalidBucketName, name)
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return fmt.Errorf("%w: %q must start and end with a letter or digit", ErrInvalidBucketName, name)
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return fmt.Errorf("%w: %q must not contain \"..\", \".-\" or \"-.\"", ErrInvalidBucketName, name)
	}
	if dottedDigits(name) {
		return fmt.Errorf("%w: %q must not be formatted as an IP address", ErrInvalidBucketName, name)
	}
	if strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-") ||
		strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3") {
		return fmt.Errorf("%w: %q uses a reserved prefix or suffix", ErrInvalidBucketName, name)
	}
	return nil
}

// ValidObjectKey returns nil when key is a usable object key: 1 to 1024 bytes
// of valid UTF-8 without NUL. Keys never become file paths (data is stored
// under random ids), so "../x" and similar are ordinary keys.
func ValidObjectKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidObjectName)
	case len(key) > maxKeyLen:
		return fmt.Errorf("%w: %w: key is %d bytes, limit is %d", ErrInvalidObjectName, ErrKeyTooLong, len(key), maxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: key is not valid UTF-8", ErrInvalidObjectName)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("%w: key contains NUL", ErrInvalidObjectName)
	}
	return nil
}

// dottedDigits reports whether s is four dot-separated groups of digits,
// like "192.168.5.4" (and "01.2.3.999", which some resolvers still read as
// an address).
func dottedDigits(s string) bool {
	groups := strings.Split(s, ".")
	if len(groups) != 4 {
		return false
	}
	for _, g := range groups {
		if g == "" || strings.Trim(g, "0123456789") != "" {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
