// Package sse is the cryptographic core of server-side encryption: the
// encrypted object format, the sealing of per-object data keys (SSE-S3 under
// the server's master key, SSE-C under the customer's key), the per-object
// encryption record, and the parsing of the SSE request headers. It imports
// no storage or HTTP code; storage and s3api wire it in.
//
// # Basics
//
// Writing an object:
//
//	rec, c, err := sse.NewS3(master, sse.Context{Bucket: b, Key: k, Version: v})
//	w, err := c.NewWriter(shardWriter) // ciphertext: exactly sse.EncryptedSize(n) bytes
//	io.Copy(w, body)                   // the ETag and checksums hash body, the plaintext
//	w.Close()
//	data, _ := rec.Marshal()           // stored with the object version
//
// Reading bytes [off, off+n) of it:
//
//	rec, _ := sse.Unmarshal(data)
//	c, err := rec.Open(ctx, masterKeys...) // or rec.OpenCustomer(ctx, customerKey)
//	rc, err := c.DecryptRange(fetchCiphertext, size, off, n)
//
// A multipart upload makes its record at CreateMultipartUpload; each
// UploadPart calls c.NewPart(number) and stores the returned salt with the
// part; reads go through c.DecryptParts with the completed part list (see
// Part).
//
// # Stream format (format 1)
//
// An object's plaintext of n bytes (or one part's) is cut into chunks of C
// bytes (C = ChunkSize, 65,536 by default): k = max(1, ceil(n/C)) chunks,
// every one but the last exactly C bytes, the last 1..C bytes (0 only when
// n = 0, so even an empty object carries a tag). Chunk i is stored at
// ciphertext offset i*(C+16) as
//
//	AES-256-GCM-Seal(key, nonce_i, plaintext[i*C : min((i+1)*C, n)], aad)
//	= ciphertext (same length as the plaintext) | tag (16 bytes)
//
// so the ciphertext is n + 16*k bytes (EncryptedSize) and there is no header
// or per-chunk framing: every offset is arithmetic. The 12-byte nonce is
//
//	byte 0..4   nonce prefix: 5 random bytes per object (Record.NoncePrefix)
//	byte 5..6   part number, big-endian (0 for a single-part object)
//	byte 7..10  chunk index i, big-endian (at most 2^32 chunks: 256 TiB)
//	byte 11     0x01 for the last chunk (i = k-1), else 0x00
//
// and the additional data, the same for every chunk of a stream, is
//
//	str("coffer-sse/v1/chunk") | u32 C | u16 part | str(Bucket) | str(Key) | str(Version)
//
// where str(s) is a 4-byte big-endian length then the bytes of s, and all
// integers are big-endian. The key is the object's 32-byte random data key
// for part 0; part p of a multipart object is encrypted under
// HKDF-SHA256(data key, salt_p, "coffer-sse/v1/part-key" | u16 p), salt_p
// being 16 random bytes drawn per UploadPart and stored with the part.
//
// What this buys: a flipped bit fails its chunk's tag; a chunk moved to
// another index, part or object fails (index and part are in the nonce,
// the object's identity in the AAD, the key is the object's); a stream cut at
// a chunk boundary fails because its new last chunk was sealed as not final;
// appended bytes fail because the old last chunk is then read as not final.
// Readers return a chunk's bytes only after its tag verified. A ranged read
// fetches only the chunks that hold the range and knows which chunk is last
// from the object's size, so a wrong recorded size fails too.
//
// Nonces never repeat under a key: every object (and every copy) gets a new
// random data key; every UploadPart a new part key; within a stream
// (part, index) is unique; and a stream is written once (NewWriter refuses
// a second writer and ciphers opened for reading). The random prefix is a
// further margin, not what uniqueness rests on.
//
// # Data keys and the record
//
// The data key is sealed as nonce (12 random bytes) | AES-256-GCM(kek, nonce,
// data key, aad) = 60 bytes (Record.SealedKey), with
//
//	aad = str("coffer-sse/v1/data-key") | u32 format | str(alg) | str(kid) |
//	      str(nonce prefix) | u32 C | str(salt) | str(key hash) | str(Bucket) | str(Key) | str(Version)
//
// so no field of the record can be changed, and no record moved to another
// object, without the unseal failing. The kek is
//
//	SSE-S3: HKDF-SHA256(master secret, -, "coffer-sse/v1/master-seal"), and
//	        kid = hex(HKDF-SHA256(master secret, -, "coffer-sse/v1/master-id")[:8])
//	SSE-C:  HKDF-SHA256(customer key, salt, "coffer-sse/v1/customer-kek"),
//	        salt 32 random bytes per object, and the stored key hash is
//	        HMAC-SHA256(salt, "coffer-sse/v1/customer-key-check" | customer key)
//
// The customer key is never stored, nor its MD5: the salted HMAC tells the
// right key from a wrong one (ErrWrongCustomerKey, S3 403 AccessDenied)
// before any unseal, and is useless for recognising the same key on another
// object. The master secret is the server's existing 32-byte master key; the
// HKDF labels keep SSE's AES keys apart from the auth store's use of it.
// Master-key rotation re-seals data keys (ReSeal) without touching object
// data: the record's kid tells which key each record still needs.
//
// Record is stored as JSON (177 bytes for SSE-S3, 260 for SSE-C), e.g.
//
//	{"format":1,"alg":"SSE-S3","kid":"<16 hex>","sealed":"<base64 of 60>","nonce":"<base64 of 5>","chunk":65536}
//	{"format":1,"alg":"SSE-C","sealed":"...","nonce":"...","chunk":65536,"salt":"<base64 of 32>","khash":"<base64 of 32>"}
//
// Unmarshal rejects unknown fields, trailing data, other formats, wrong sizes
// and chunk sizes that are not a power of two in [4 KiB, 1 MiB] (which bounds
// a reader's buffer).
//
// # Threat model
//
// Protected: object data at rest on the drives, in .meta copies and in
// backups of them: someone who reads drives, shard files or a stolen disk
// learns object sizes (exactly: EncryptedSize is invertible) and nothing of
// the plaintext, and can neither alter, truncate, reorder nor transplant
// ciphertext or records without reads failing with ErrAuthentication. SSE-C objects
// additionally cannot be read by the server without the customer's key.
//
// Not protected: a running server (it holds the master key and sees
// plaintext in memory); someone with the master key file and the drives
// (SSE-S3 is encryption at rest, as on AWS); metadata that is not data
// (keys, sizes, user metadata, tags, ETags: an ETag is the plaintext MD5 as
// AWS returns it for SSE-S3, so a guessed small object can be confirmed);
// rollback of a whole version (an older ciphertext and record of the same
// Context, e.g. the overwritten null version, authenticate; use an id unique
// to the write in Context.Version where storage has one). A stream reader
// returns chunks as they verify, so a stream whose tail was cut returns the
// verified prefix and then ErrAuthentication; an HTTP GET has by then sent
// headers and aborts the connection, as for any read error mid-body.
//
// Heal and scrub need no key: erasure coding, shard framing and bitrot
// checksums are all over ciphertext, so the encryption sits above them and
// they repair and verify ciphertext bytes as before. The record is opaque
// bytes to them and is copied with the object's other metadata.
//
// # Caveats
//
// Go cannot reliably wipe key bytes from memory; data keys live in the AES
// key schedule of a Cipher for as long as it is referenced. Errors and
// String methods never include key material.
package sse
