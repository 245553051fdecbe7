package sse

import "errors"

// ErrAuthentication is returned when ciphertext does not authenticate: a byte
// was changed, a chunk was dropped, reordered or duplicated, the stream was
// cut short or extended, or the ciphertext belongs to another object, part or
// data key. No plaintext of the failing chunk (or any later one) is returned.
var ErrAuthentication = errors.New("sse: ciphertext failed authentication")

// ErrWrongCustomerKey is returned when an SSE-C object is opened with a
// customer key other than the one it was written with. The S3 layer answers
// 403 AccessDenied, as AWS does.
var ErrWrongCustomerKey = errors.New("sse: the customer key does not match the object's key")

// ErrCustomerKeyRequired is returned when an SSE-C object is opened without a
// customer key (S3: 400 InvalidRequest, "The object was stored using a form of
// Server Side Encryption. The correct parameters must be provided to retrieve
// the object.").
var ErrCustomerKeyRequired = errors.New("sse: the object is encrypted with a customer key")

// ErrNotCustomerEncrypted is returned when a customer key is given for an
// object that was not written with one (S3: 400 InvalidRequest, "The
// encryption parameters are not applicable to this object.").
var ErrNotCustomerEncrypted = errors.New("sse: the object is not encrypted with a customer key")

// ErrUnknownMasterKey is returned when a record's data key is sealed under a
// master key that is not among the keys given to open it.
var ErrUnknownMasterKey = errors.New("sse: the record's master key is not available")

// ErrInvalidRecord is returned when an encryption record is malformed: bad
// JSON, an unknown format or algorithm, or a field of the wrong size.
var ErrInvalidRecord = errors.New("sse: invalid encryption record")

// ErrInvalidRange is returned when a plaintext range does not lie within the
// object, or a part number is out of range.
var ErrInvalidRange = errors.New("sse: invalid range")

// ErrReadOnly is returned by NewWriter when the cipher's stream was already
// written (a cipher from Open, OpenCustomer or Part, or a second NewWriter):
// encrypting twice under one key and nonce sequence would leak plaintext.
var ErrReadOnly = errors.New("sse: this cipher's stream was already written")

// ErrTooLarge is returned when a stream would need more chunks than the nonce
// counter can number (2^32 chunks, 256 TiB at 64 KiB per chunk).
var ErrTooLarge = errors.New("sse: stream too large")
