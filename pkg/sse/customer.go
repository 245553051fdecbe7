package sse

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
)

const (
	saltSize    = 32
	keyHashSize = sha256.Size
)

// CustomerKey is an SSE-C key as a request supplied it. It lives only for the
// request: records keep a salted HMAC of it, never the key or its MD5.
type CustomerKey struct {
	key    [32]byte
	keyMD5 string // base64, as the request sent it (and responses echo it)
}

// NewCustomerKey wraps a raw 32-byte customer key (tests and copy paths that
// already hold one).
func NewCustomerKey(key []byte) (*CustomerKey, bool) {
	if len(key) != 32 {
		return nil, false
	}
	ck := &CustomerKey{}
	copy(ck.key[:], key)
	sum := md5.Sum(key)
	ck.keyMD5 = base64.StdEncoding.EncodeToString(sum[:])
	return ck, true
}

// KeyMD5 returns the base64 MD5 of the key, for the
// x-amz-server-side-encryption-customer-key-MD5 response header.
func (k *CustomerKey) KeyMD5() string { return k.keyMD5 }

// String never shows the key.
func (k *CustomerKey) String() string { return "sse.CustomerKey(MD5 " + k.keyMD5 + ")" }

// hash is the stored recogniser of the key: HMAC-SHA256 keyed by the
// object's random salt, so equal keys on two objects do not show as equal
// and no unsalted digest of the key (such as its MD5) is ever stored.
func (k *CustomerKey) hash(salt []byte) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte("coffer-sse/v1/customer-key-check"))
	m.Write(k.key[:])
	return m.Sum(nil)
}

func (k *CustomerKey) matches(salt, want []byte) bool {
	return hmac.Equal(k.hash(salt), want)
}

// kek derives the key that seals the object's data key from the customer key
// and the object's salt (HKDF-SHA256, its own label).
func (k *CustomerKey) kek(salt []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, k.key[:], salt, "coffer-sse/v1/customer-kek", 32)
	if err != nil {
		return nil, err
	}
	return newGCM(key)
}
