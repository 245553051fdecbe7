package sse

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
)

// Algorithms of a Record. Both encrypt object data the same way (AES-256-GCM
// chunks under a random data key); they differ in what seals the data key.
const (
	AlgorithmS3       = "SSE-S3" // sealed under the server's master key
	AlgorithmCustomer = "SSE-C"  // sealed under a key derived from the customer's key
)

// FormatV1 is the only record format: AES-256-GCM chunks, nonces as in
// Cipher.nonce, data keys sealed with AES-256-GCM.
const FormatV1 = 1

// maxRecordSize bounds what Unmarshal reads; a valid record is about 300 bytes.
const maxRecordSize = 4 << 10

// Record is what an object version stores about its encryption. It holds no
// secret: the data key only sealed, the customer key only as a salted HMAC.
// Heal, scrub and rebuild copy it as opaque bytes.
type Record struct {
	Format    int    `json:"format"`
	Algorithm string `json:"alg"`
	// KeyID is the ID of the master key that sealed the data key (SSE-S3).
	KeyID string `json:"kid,omitempty"`
	// SealedKey is the data key sealed: GCM nonce (12) | key (32) | tag (16).
	SealedKey []byte `json:"sealed"`
	// NoncePrefix is the random start of every chunk nonce (5 bytes).
	NoncePrefix []byte `json:"nonce"`
	// ChunkSize is the plaintext bytes per chunk.
	ChunkSize int `json:"chunk"`
	// KeySalt and KeyHash recognise the customer key (SSE-C): KeyHash is
	// HMAC-SHA256 keyed by KeySalt of the customer key; KeySalt also salts
	// the derivation of the key that seals the data key.
	KeySalt []byte `json:"salt,omitempty"`
	KeyHash []byte `json:"khash,omitempty"`
}

// NewS3 starts an SSE-S3 object: a random data key sealed under master for
// ctx, and the cipher to write the object's stream(s) with.
func NewS3(master *MasterKey, ctx Context) (*Record, *Cipher, error) {
	r, dk := newRecord(AlgorithmS3)
	r.KeyID = master.ID()
	r.SealedKey = seal(master.aead, dk, dataKeyAAD(r, ctx))
	c, err := newCipher(dk, r.NoncePrefix, r.ChunkSize, ctx)
	if err != nil {
		return nil, nil, err
	}
	c.unwritten = newUnwritten()
	return r, c, nil
}

// NewCustomer starts an SSE-C object: a random data key sealed under a key
// derived from the customer's key and a random salt. The customer key itself
// is not kept.
func NewCustomer(ck *CustomerKey, ctx Context) (*Record, *Cipher, error) {
	r, dk := newRecord(AlgorithmCustomer)
	r.KeySalt = make([]byte, saltSize)
	rand.Read(r.KeySalt)
	r.KeyHash = ck.hash(r.KeySalt)
	kek, err := ck.kek(r.KeySalt)
	if err != nil {
		return nil, nil, err
	}
	r.SealedKey = seal(kek, dk, dataKeyAAD(r, ctx))
	c, err := newCipher(dk, r.NoncePrefix, r.ChunkSize, ctx)
	if err != nil {
		return nil, nil, err
	}
	c.unwritten = newUnwritten()
	return r, c, nil
}

func newRecord(alg string) (*Record, []byte) {
	r := &Record{Format: FormatV1, Algorithm: alg, ChunkSize: DefaultChunkSize,
		NoncePrefix: make([]byte, NoncePrefixSize)}
	rand.Read(r.NoncePrefix)
	dk := make([]byte, DataKeySize)
	rand.Read(dk)
	return r, dk
}

// Open returns the cipher of an SSE-S3 object, unsealing its data key with
// whichever of keys sealed it. ErrCustomerKeyRequired if the object is SSE-C;
// ErrUnknownMasterKey if no key matches; ErrAuthentication if the record was
// altered or belongs to another context.
func (r *Record) Open(ctx Context, keys ...*MasterKey) (*Cipher, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Algorithm == AlgorithmCustomer {
		return nil, ErrCustomerKeyRequired
	}
	for _, k := range keys {
		if k != nil && k.ID() == r.KeyID {
			dk, err := unseal(k.aead, r.SealedKey, dataKeyAAD(r, ctx))
			if err != nil {
				return nil, err
			}
			return newCipher(dk, r.NoncePrefix, r.ChunkSize, ctx)
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownMasterKey, r.KeyID)
}

// CheckCustomerKey tells whether ck is the key of an SSE-C object without
// unsealing anything (HEAD needs no cipher): nil if it is,
// ErrWrongCustomerKey if not, ErrCustomerKeyRequired if ck is nil,
// ErrNotCustomerEncrypted if the object is not SSE-C.
func (r *Record) CheckCustomerKey(ck *CustomerKey) error {
	if err := r.Validate(); err != nil {
		return err
	}
	switch {
	case r.Algorithm != AlgorithmCustomer:
		return ErrNotCustomerEncrypted
	case ck == nil:
		return ErrCustomerKeyRequired
	case !ck.matches(r.KeySalt, r.KeyHash):
		return ErrWrongCustomerKey
	}
	return nil
}

// OpenCustomer returns the cipher of an SSE-C object. ErrNotCustomerEncrypted
// if the object is not SSE-C; ErrWrongCustomerKey if ck is not its key.
func (r *Record) OpenCustomer(ctx Context, ck *CustomerKey) (*Cipher, error) {
	if err := r.CheckCustomerKey(ck); err != nil {
		return nil, err
	}
	kek, err := ck.kek(r.KeySalt)
	if err != nil {
		return nil, err
	}
	dk, err := unseal(kek, r.SealedKey, dataKeyAAD(r, ctx))
	if err != nil {
		return nil, err
	}
	return newCipher(dk, r.NoncePrefix, r.ChunkSize, ctx)
}

// ReSeal returns a copy of an SSE-S3 record whose data key is sealed under
// newKey instead of old; the data key, nonce prefix and so the object's
// ciphertext are unchanged. A record already sealed under newKey is returned
// as is (a rotation pass may be resumed).
func ReSeal(r *Record, ctx Context, old, newKey *MasterKey) (*Record, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Algorithm != AlgorithmS3 {
		return nil, fmt.Errorf("%w: only SSE-S3 records are sealed under a master key", ErrInvalidRecord)
	}
	if r.KeyID == newKey.ID() {
		return r, nil
	}
	if r.KeyID != old.ID() {
		return nil, fmt.Errorf("%w: %s", ErrUnknownMasterKey, r.KeyID)
	}
	dk, err := unseal(old.aead, r.SealedKey, dataKeyAAD(r, ctx))
	if err != nil {
		return nil, err
	}
	n := *r
	n.KeyID = newKey.ID()
	n.SealedKey = seal(newKey.aead, dk, dataKeyAAD(&n, ctx))
	return &n, nil
}

// Validate checks a record's fields without any key.
func (r *Record) Validate() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrInvalidRecord, what) }
	switch {
	case r.Format != FormatV1:
		return bad("unknown format")
	case len(r.SealedKey) != sealedKeySize:
		return bad("sealed key size")
	case len(r.NoncePrefix) != NoncePrefixSize:
		return bad("nonce prefix size")
	case r.ChunkSize < MinChunkSize || r.ChunkSize > MaxChunkSize || r.ChunkSize&(r.ChunkSize-1) != 0:
		return bad("chunk size")
	}
	switch r.Algorithm {
	case AlgorithmS3:
		if len(r.KeyID) != 16 || r.KeySalt != nil || r.KeyHash != nil {
			return bad("SSE-S3 fields")
		}
	case AlgorithmCustomer:
		if r.KeyID != "" || len(r.KeySalt) != saltSize || len(r.KeyHash) != keyHashSize {
			return bad("SSE-C fields")
		}
	default:
		return bad("unknown algorithm")
	}
	return nil
}

// Marshal encodes a valid record as JSON.
func (r *Record) Marshal() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(r)
}

// Unmarshal decodes and validates a record. Unknown fields, trailing data and
// records over 4 KiB are rejected.
func Unmarshal(data []byte) (*Record, error) {
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrInvalidRecord, len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrInvalidRecord)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}
