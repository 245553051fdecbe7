package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// MasterKeySize is the size of the secret a MasterKey is made from.
const MasterKeySize = 32

// sealedKeySize is a sealed data key: GCM nonce (12) | data key (32) | tag (16).
const sealedKeySize = 12 + DataKeySize + TagSize

// MasterKey seals and unseals the data keys of SSE-S3 objects. It is derived
// from the server's master secret with HKDF under its own label, so SSE never
// uses the same AES key as anything else made from that secret (the auth
// store's sealed tenant secrets).
type MasterKey struct {
	id   string
	aead cipher.AEAD
}

// NewMasterKey derives the SSE master key from a 32-byte secret. Its ID is a
// fingerprint of the secret (16 hex digits, derived under another label, so
// it reveals nothing of the key) recorded with every data key it seals, so a
// rotation knows which records still need re-sealing.
func NewMasterKey(secret []byte) (*MasterKey, error) {
	if len(secret) != MasterKeySize {
		return nil, fmt.Errorf("sse: master key must be %d bytes, got %d", MasterKeySize, len(secret))
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "coffer-sse/v1/master-seal", 32)
	if err != nil {
		return nil, err
	}
	fp, err := hkdf.Key(sha256.New, secret, nil, "coffer-sse/v1/master-id", 8)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &MasterKey{id: hex.EncodeToString(fp), aead: aead}, nil
}

// ID returns the key's fingerprint, as stored in Record.KeyID.
func (k *MasterKey) ID() string { return k.id }

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// dataKeyAAD binds a sealed data key to everything else in its record and to
// the object's context: changing any field of the record, or moving it to
// another object, makes the unseal fail.
func dataKeyAAD(r *Record, ctx Context) []byte {
	b := appendString(nil, labelDataKey)
	b = binary.BigEndian.AppendUint32(b, uint32(r.Format))
	b = appendString(b, r.Algorithm)
	b = appendString(b, r.KeyID)
	b = appendString(b, string(r.NoncePrefix))
	b = binary.BigEndian.AppendUint32(b, uint32(r.ChunkSize))
	b = appendString(b, string(r.KeySalt))
	b = appendString(b, string(r.KeyHash))
	return ctx.append(b)
}

// seal encrypts dataKey under kek with a random nonce: nonce | ciphertext | tag.
func seal(kek cipher.AEAD, dataKey, aad []byte) []byte {
	out := make([]byte, 12, sealedKeySize)
	rand.Read(out) // never fails (crypto/rand, Go 1.24+)
	return kek.Seal(out, out[:12], dataKey, aad)
}

func unseal(kek cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) != sealedKeySize {
		return nil, ErrInvalidRecord
	}
	dk, err := kek.Open(nil, sealed[:12], sealed[12:], aad)
	if err != nil {
		return nil, ErrAuthentication
	}
	return dk, nil
}
