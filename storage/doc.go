// Package storage is Coffer's object store: tenants, buckets, objects and
// multipart uploads, erasure-coded over local drives with a bbolt index.
//
// # Layers
//
//   - store.go, objects.go, buckets.go, tenants.go, multipart.go, list.go:
//     the ObjectStore API (api.go) on top of the two seams below.
//   - writetx.go: writeTx, the one place a write commits. Every write
//     (PutObject, PutPart, CompleteMultipartUpload, copies, which arrive
//     as PutObject/PutPart, deletes, metadata updates) stages its data,
//     persists it, and hands writeTx.commit a function that mutates the
//     index inside the commit transaction; writeTx removes replaced data
//     after the commit and aborts (removes staged files, unpins) on any
//     failure. objects.go's writeTx.putObject is the one place an object
//     version replaces another. Outside it: a forced bucket delete's purge
//     (data first, see "Deleting buckets") and heal and compaction moving
//     packed copies (packLog.relocate), which change no data or usage.
//   - fastput.go: the fast log (Config.FastPut, off by default). A small
//     unconditional PUT into an unversioned, unlocked bucket of a tenant
//     without quota returns once its records are in the pack logs of
//     write-quorum drives; its writeTx.putObject runs afterwards in the
//     fast log's applier, batched and in sequence order, and Open replays
//     what a crash left unapplied. Every other index transaction waits
//     for the applier first (its barrier), reads of a key's current
//     version see the overlay.
//   - versions.go, listversions.go, lock.go, bucketcfg.go,
//     purgeversions.go: versioning and Object Lock (see "Versions").
//   - configs.go: per-bucket configuration documents and tenant
//     defaults (see "Configuration documents"), stored like the
//     versioning state (bucketcfg.go).
//   - usage.go: applyUsage, the one place usage changes: a signed
//     usageDelta applied to tenant and bucket counters inside the commit,
//     with the quota check (checkUsage, shared with precheckQuota). The
//     recount after RebuildIndex and at Open (recountUsage,
//     recountUploads) lives beside it.
//   - drive.go: the per-drive I/O seam (Drive, exported so that
//     internal/driveproto can serve a node's drives and dial other nodes';
//     localDrive, from OpenLocalDrive, is a directory; the store holds
//     each Drive in a countedDrive that counts its errors). format.go:
//     each drive's identity file (DriveFormat).
//   - erasure.go, write.go, body.go, read.go: streaming in fixed blocks,
//     Reed-Solomon shards (one per drive), per-shard-block xxh3 checksums.
//   - index.go: the metadata seam (index interface; kvIndex over
//     internal/kv, bbolt or etcd), the only code that knows key formats
//     and record encodings (with objcodec.go); see "Index seam" below.
//   - packlog.go: packLog, the one type that owns the pack log of small
//     objects: appending and reading records, tombstones, replacing a
//     packed object's copies (heal, metadata rewrites) and, in compact.go,
//     compaction. Nothing else touches pack segments (but RebuildIndex,
//     which scans them all). Per drive the segment files are packSegments
//     (packsegment.go) behind the drive seam; their read descriptors share
//     one bounded cache (segcache.go).
//   - sse.go, keyring.go: server-side encryption (see "Encryption").
//   - heal.go, scrub.go, rebuild.go: repair, background scrubbing, orphan
//     removal and rebuilding the index from the drives. recovery.go: how
//     they count the errors they skip (see "Recovery errors").
//
// # On-disk layout
//
//	DataDir/index.db                      bbolt index (see below; absent with Config.Index)
//	<drive>/format.json                   {version, setID, driveID, index, drives, data, parity, blockSize}
//	<drive>/data/<id[0:2]>/.tmp.<name>.<r> files being written (removed at Open and by the scrubber)
//	<drive>/data/<id[0:2]>/<id>.meta      per-drive metadata file of data id <id>
//	<drive>/data/<id[0:2]>/<id>.shard     shard stream of <id> (absent when inlined)
//	<drive>/packs/<seq>.pack              pack log segment: records of small objects
//	<drive>/data/<id[0:2]>/<bucket id>.meta bucket file: versioning state, Object Lock configuration, documents
//
// Data ids are random 128-bit hex strings, one per object version or
// multipart part; object keys never become paths, so no key ("../x", NUL,
// 1024 bytes of UTF-8) can reach the file system. Drive i always holds shard
// i (data shards 0..d-1, parity d..n-1).
//
// A shard stream is, for every block of the body, an 8-byte big-endian xxh3
// of the shard block followed by the shard block (ceil(blockLen/data) bytes,
// zero padded), the whole frame zero padded to a multiple of 4 KiB
// (dataRef.Align; streams written before it have Align 0 and no frame
// padding, and still read). Shard files are written with O_DIRECT where the
// file system allows it: each frame is one aligned write straight from the
// codec's aligned buffer, bypassing the page cache. A .meta file is "CFM1", a u32 length and a JSON header
// (kind "object" with the full object record, or kind "part" with the part
// record, plus the shard number), a u32 length and the inline shard stream,
// and an xxh3 of everything before it. Bodies up to 128 KiB are inlined.
//
// Small single-part objects (inline bodies of PutObject) get no files: the
// same .meta record is appended to each drive's pack log, framed as a u32
// length, a u64 xxh3 and the record; the index keeps each drive's
// (segment, offset, length) in dataRef.Packed. Segments are numbered from
// the clock upwards, rotated at 64 MiB and at every Open, and never
// appended to after an error. A "delete" record (kind "delete", the dead
// ids and their segments) is appended when a packed object leaves the
// index, so RebuildIndex does not bring it back. Small multipart parts and
// multipart objects' records use .meta files.
//
// # Write path and durability
//
// PutObject streams the body in blocks (1 MiB by default) from a pooled
// buffer, computing MD5 and the requested checksum in the same pass, encodes
// each block and writes the frames to temporary files (".tmp.<name>.<r>",
// beside their final names) on all drives in parallel. Large bodies are a
// two-stage pipeline: a reader goroutine reads and hashes block k+1 while
// block k is encoded and written (two block buffers per upload, from the
// codec's free list outside the Go heap that returns idle pages to the
// OS: bufpool.go; a body of at most 128 KiB takes a small one), and
// their MD5 runs on md5-simd's multi-stream server (one SIMD lane per
// concurrent upload). Each byte is hashed once for MD5, once for a
// requested checksum, and each shard block once with xxh3. After the body ends
// and size/MD5/checksum are verified, on each drive in parallel:
//
//  1. a large body's shard file is fsynced and renamed to <id>.shard;
//  2. the .meta file (holding the inline shards of a small body) is
//     written, fsynced and renamed to <id>.meta;
//  3. the data/<xx> directory is fsynced, making both renames durable (the
//     first time a process uses a prefix directory, data/ is fsynced too,
//     since prefix directories are created on first use).
//
// For a small body the .meta records instead go to the pack logs: each
// drive's appender takes the records queued by concurrent writers, writes
// them with one write(2) at the end of the active segment and fdatasyncs
// the segment once for the whole batch (group commit); a new segment's
// directory entry is fsynced when it is created. A segment is created at
// its full rotation size, sparse, so appends do not change the file's size
// (its tail is cut when it is rotated out).
//
// A small PUT announces its appends and its index commit when it enters
// PutObject (announce.go); a batch leader that knows announced writes are
// on their way waits for them, at most packGatherWait / indexGatherWait
// (2 ms), so one fdatasync and one bbolt commit cover most concurrent small
// writers. Waiting changes when a batch starts, never what is durable
// before a write returns. Data ids are ordered by time after their first
// byte (newDataID), so a commit's new ids share a leaf of the ids keyspace.
//
// Only when at least write quorum drives (data, plus one when data ==
// parity) succeeded is the object committed in bbolt (writeTx.commit),
// inside a transaction that also checks the quota and updates usage
// counters (applyUsage) and the live byte counts of pack segments. bbolt fsyncs its file on commit; concurrent
// commits are coalesced by groupCommit (groupcommit.go) into one
// transaction and one fsync: a commit starts as soon as the previous one
// ends and takes every write queued meanwhile (no timer). A write may carry
// a precondition (PutOptions.Precondition) evaluated in that transaction. The commit is the commit point; PutObject returns after it.
// On the fast path (fastput.go) the commit point is earlier: the pack-log
// fdatasync on write quorum of records carrying a sequence number, which
// Open replays into the index if the applier's commit did not happen.
// Replaced data is deleted after the commit. Below quorum everything written
// is removed (appended pack records stay as dead bytes for compaction) and
// ErrQuorum (or ErrDiskFull when a drive reported ENOSPC) is returned.
// Metadata rewrites (UpdateObjectMeta, heal) use the same temp file, fsync,
// rename and directory fsync, or a pack append. format.json is written to
// tmp/, fsynced, renamed and data/ and the drive root fsynced. Removals
// (replaced or deleted data, delete records) are not fsynced: a removal lost
// in a crash leaves an orphan, which the scrubber removes.
//
// What a commit leaves to do after it (removing replaced data, tombstoning
// packed records, rewriting the drive copies of a record changed in place)
// is journaled in the same transaction (cleanup keyspace, cleanup.go) and
// Open redoes what a crash cut before serving. Without it, replaced data
// left by a crash would be found again by RebuildIndex once its newer
// version is deleted for good. RebuildIndex removes the versions that lost
// to a newer one the same way.
//
// Data ids are pinned in memory (pinID) from before their first byte
// reaches a drive until after their commit, and are in the index "ids"
// keyspace once committed. The scrubber removes files whose id is in
// neither (orphans of interrupted writes); temporary files are removed at
// Open and, after an hour, by the scrubber. Compaction rewrites the live
// records of a non-active pack segment whose live bytes fell under half of
// its size (and delete records still needed), then removes the segment; a
// pinned record keeps its segment for the next pass.
//
// # Drives, healing and scrubbing
//
// At Open every drive's format.json is read; drives take their recorded
// positions (a swapped drive is found where it is), a drive of another set
// is refused, and a drive without format (new, wiped or missing) is
// formatted into the free position and a scrub pass starts at once to heal
// it. Config.DriveSet passes the drives opened (local or remote) instead
// of directories; Config.SetID names the set, so empty drives are
// formatted into it and a drive of another set is refused even when no
// drive is formatted yet. A remote drive that is offline at Open
// (ErrDriveOffline) keeps its own position unformatted; the scrubber
// formats it if it comes back empty. A read that meets a missing or corrupt shard block reconstructs it
// from the others and queues the object for the healer, which verifies
// every shard of the object and rewrites bad ones (temp file, fsync,
// rename). The background scrubber (ScrubInterval, default 24h, first pass
// a minute after Open) re-formats drives that lost their format, finishes
// interrupted bucket deletions, verifies and heals every object and upload
// part at about 32 MiB/s, removes orphans, and counts all of it in
// ScrubStats. Scrub runs the same pass at once, unthrottled.
//
// # Shared drives (cluster mode)
//
// With Config.Shared, several nodes' stores write to the same drives (each
// node serves its own over internal/driveproto) and the same index. A
// write's data is pinned only in the memory of the node writing it, so
// what looks orphaned to this store may be another node's write in
// flight. Drive side, Shared changes:
//
//   - Open removes no temporary files on remote drives (their node does,
//     for its own), and on its local drives only those older than
//     SharedGrace (15 minutes): peers may be streaming to them already.
//   - The scrubber removes an orphan only when its files are older than
//     SharedGrace (it keeps temporary files an hour anyway), and
//     compaction leaves a pack segment until its successor's number (a
//     time no earlier than the successor's creation, so no earlier than
//     the segment's last append) is older than SharedGrace: a record
//     appended by another node keeps its segment until that node's commit.
//
// The window the grace must cover is from a file's last write (or a
// record's append) to the index commit: seconds, since a slow upload's
// shards stay temporary files, aged from their last write, until its
// body ends. Caveat: a commit that lands more than SharedGrace after its
// files were written (an index stalled that long, yet committing
// afterwards) can point at files a scrub pass removed meanwhile.
//
// Reads from other nodes' drives are hedged (hedge.go, read.go): a data
// shard of another node's drive (a DriveSet drive that is not a local
// directory) that has not arrived after Config.HedgeAfter (300 ms) is
// not waited for: readHedged reads a parity shard in its place and
// decodes from whichever shards come first, and OpenObject's pinning
// loads (loadAll) stop waiting for it too. Such a read goes into a buffer
// of its own, so one left running never writes into a buffer reused for
// the next block; local reads are always waited for. The drive is then
// passed over for 5 s while others can serve. A single node's reads never
// take this path.
//
// # Deleting buckets
//
// A forced DeleteBucket moves the bucket record to the trash keyspace in one
// transaction (the name disappears at once, usage drops), then removes
// uploads and objects in batches: data files first, then index entries
// (the one removal that does not go through writeTx: the bucket is
// already invisible, and the trash record makes the purge resumable).
// Open and every scrub pass finish trashed buckets, so an interrupted delete
// completes after a restart and the bucket never reappears half full.
// Objects and uploads live in keyspaces named by the bucket's random id, so
// a new bucket of the same name starts empty.
//
// # Read path
//
// OpenObject reads the record and, for single-part objects, opens every
// shard file at once, so a concurrent overwrite or delete (which unlinks)
// does not disturb the pinned reader; a packed object's records are read
// into memory at once (they are small), which also pins them against
// compaction. A range's WriteTo (io.Copy) writes the verified data shard
// slices of each block straight to the destination, without joining them.
// Range decodes only the blocks it needs, through the one shard decoder
// (partSource.decodeBlock, read.go), reading data shards first and parity
// only to replace a missing or corrupt shard block; a block with fewer than
// data good shards fails with ErrQuorum, never wrong bytes. Damaged objects
// are queued for healing. Heal decodes through the same routine, reading
// every shard of every block (padding included) and rewriting the shards
// found bad, so a stream is healed as long as each block is readable.
//
// Pack records are read through a cache of open segment descriptors
// (Config.PackFiles, 256 by default, over all drives): least recently used
// ones close first, and only when no read holds them (reference counts).
// No path is looked up per read: a descriptor's link count is checked on
// use (a wiped drive reads as gone at once), a re-formatted drive drops its
// descriptors (a swapped-in disk is never read through the old one), a
// failed read retries on a fresh descriptor, and each descriptor is checked
// against its path at most once a second.
//
// # Encryption
//
// An encrypted version (PutOptions.Encryption) is stored as the ciphertext
// stream of pkg/sse, written and read through the same paths as any body:
// writeData reads the plaintext through a bodyReader (declared size, MD5,
// checksum: the ETag and checksums are the plaintext's) wrapped in the
// cipher's encrypting reader (plainSource), and the erasure layer stores
// what that yields. dataRef.Size is the ciphertext size; objRecord.Size
// (and so usage, quotas and listings) the plaintext's, as dataRef.PlainSize
// is a part's.
//
// objRecord.SSE is the marshalled sse.Record, bound by sseContext to
// tenant/bucket, key and objRecord.SSEID: an id drawn per write, or for a
// multipart object its upload id (the object inherits uploadRecord.SSE;
// each part keeps its salt and number in its dataRef). A part's .meta
// header carries the upload's record too, so RebuildIndex restores the
// upload encrypted; Complete refuses parts not encrypted as their upload.
// A write that asks for no encryption gets SSE-S3 when the bucket has a
// ConfigEncryption document or Config.SSEDefault is set
// (defaultEncryption).
//
// objectReader.Range decrypts only the chunks of the range (sse
// DecryptRange/DecryptParts over rawRange). SSE-S3 keys come from
// Config.Keys (KeyRing); SSE-C keys only with the call (PutOptions,
// ObjectReader.UseCustomerKey). Heal, scrub and rebuild see ciphertext and
// a record they copy as opaque bytes, and need no key.
//
// Master-key rotation (reseal.go, driven by internal/masterkey) changes
// records, never ciphertext: ReSealSSE walks every bucket's current and
// noncurrent versions and uploads in batches and replaces each SSE record
// with what its function returns (the data key sealed under the new key):
// versions in one index commit per batch, their drive copies rewritten
// after it through the cleanup journal; uploads' part headers rewritten
// before the commit. resealOnCommit re-seals, inside the commit, a write
// that sealed under a key that stopped being current while it ran.
//
// # Index
//
// bbolt keyspaces: tenants (name -> record with usage counters, the count
// of unfinished uploads, and quota with bucket and upload limits),
// volumes (tenant\0name), buckets (tenant\0name -> record with bucket id and
// counters), objects/<bucket id> (key -> object record: a binary listing
// header, then the JSON record; see objcodec.go), uploads/<bucket id>
// (key\0uploadID), parts (uploadID\0<u32 part>), ids (live data ids), trash
// (bucket id -> bucket being force-deleted), packs (drive, segment -> live
// bytes), versions/<bucket id> and nulls/<bucket id> (see "Versions"),
// configs/<bucket id> (kind -> document, see "Configuration documents"),
// cleanup (sequence -> work a commit left to do after it).
// The tenant record also holds the tenant's default documents; a bucket
// record, the generation of its configuration (CfgGen).
// Listing is a cursor range scan that seeks past each common prefix
// and decodes only each object's listing header.
//
// # Versions
//
// A bucket is never versioned ("": today's behaviour and costs, nothing
// below is written), Enabled or Suspended. Every object version carries a
// stamp (Store.newStamp: the wall clock in ns, strictly increasing within
// the process) that orders the versions of a key, and a VersionID: "" in
// the record for the null version (written while never versioned or
// Suspended; "null" in the API), else 32 hex digits, 16 of the inverted
// stamp and 16 random, so a lookup by id is a point get and a malformed id
// is refused without one (ValidVersionID).
//
// Index layout: objects/<bucket id> keeps only current versions that are
// objects, exactly as before, so ListObjects and GetObject are unchanged
// and never step over delete markers or old versions.
// versions/<bucket id> holds noncurrent versions and every delete marker
// under key\0<8-byte big-endian inverted stamp> (keys hold no NUL), so a
// key's versions sort together, newest first; nulls/<bucket id> maps a key
// to the stamp of its null version when that one is in versions, so a
// Suspended write or a "null" lookup finds it without a scan. Invariants
// (checked by TestUsageMatchesRecount after every step): a current version
// is newer than all of its key's versions; a key without a current version
// has a delete marker as its newest version (or no versions); a key has at
// most one null version. Index values are the object value of objcodec.go;
// records with a version id or a delete marker use its V2 header (the V1
// fields, the version id and a flags byte), so listings decode neither.
//
// Writes: writeTx.putObject stays the one place a version is recorded; in
// a versioned bucket it calls placeVersion (the same placement
// RebuildIndex uses): a null version first replaces the key's null
// version wherever it is (its data is removed; a locked one refuses the
// write with ErrObjectLocked), then the new version becomes current if it
// is an object newer than every version (the current one moves to
// versions, keeping its data), otherwise it goes to versions. A delete
// marker is a 0-byte packed record with DeleteMarker set, persisted like a
// small object (so RebuildIndex finds it) and committed the same way; it
// is never refused for quota. DeleteObject with a version id removes that
// version (data, ids, usage) in one commit and promotes the key's next
// newest version to current when it is an object. Usage: Objects and
// Bytes count every stored version (a marker is 1 object, 0 bytes);
// NoncurrentObjects/Bytes count what is in versions; moving a version
// between the keyspaces changes only those.
//
// Version ids are chosen when a write starts (from the bucket's state
// then), so a write racing a versioning change commits as the state it
// started under. Lock defaults (bucket default retention) are applied
// then too, and recorded with the version on the drives.
//
// Bucket files: the versioning state, Object Lock configuration and
// configuration documents are in the index (bucket record,
// configs/<bucket id>) and in a "bucket" .meta file on every drive named
// by the bucket id (also in the ids keyspace, so the scrubber keeps it).
// A change writes the whole configuration to the files (write quorum) and
// then commits record and documents in one transaction, under
// bucketCfgMu; it raises the bucket's CfgGen to a new stamp, which the
// files carry. A scrub pass rewrites a drive's missing, corrupt or stale
// copy (other generation or content) from the index. A change whose
// bucket was deleted meanwhile removes the files it wrote. RebuildIndex
// restores buckets from them first, taking the copy with the highest
// CfgGen (a drive that missed changes holds an older one), empty buckets
// too, then
// places every version found on the drives (all versions with an id, the
// newest null version of each key) with placeVersion, and recounts usage.
//
// Object Lock (lock.go): retention and legal hold are fields of each
// version's record (on the drives too); PutObjectRetention and
// PutObjectLegalHold change them in place like tag updates (index commit,
// then the drive copies are rewritten; RebuildIndex takes the strongest
// lock any copy holds, so a drive that missed a change cannot weaken it).
// A version under retention (until in the future by Config.testNow or
// the clock) or legal hold cannot leave the index: deletes by version id
// (GOVERNANCE yields to bypass), a Suspended write replacing a locked null
// version, a forced DeleteBucket and DeleteTenant, which walk every
// version of the bucket(s) in batches before anything is removed and
// refuse with a *LockedError naming up to ten. Adding a delete marker is
// always allowed.
//
// Forced DeleteBucket purges versions after objects (purgeVersions, same
// data-first batches), then removes the bucket file; the trash resume
// covers all of it. A plain DeleteBucket refuses a bucket holding
// versions or delete markers (ErrBucketNotEmpty). Scrub heals noncurrent
// versions too, and heal, compaction and metadata rewrites find a version
// wherever it is (storedVersion).
//
// # Configuration documents
//
// SetBucketConfig stores a bucket's document of a ConfigKind (policy,
// cors, lifecycle, encryption, tagging, publicAccessBlock,
// ownershipControls, acl: the canned ACL name) as opaque bytes the S3
// layer has validated and canonicalised; an empty document deletes it,
// GetBucketConfig answers ErrNoSuchBucketConfig when none is set. Each
// kind has a size limit (configLimits: 64 KiB, lifecycle 256 KiB, acl 64
// bytes) and a bucket's documents together at most maxBucketConfigBytes
// (512 KiB); past them ErrConfigTooLarge. They live in
// configs/<bucket id>, not in the bucket record that every object
// operation reads, and in the bucket file (see "Bucket files" under
// "Versions"), so they survive a crash (files first, then one index
// commit), restarts and RebuildIndex, and scrub repairs stale copies.
// CreateBucket takes first documents (BucketOptions.Configs: a canned ACL
// on CreateBucket) and commits them with the bucket. A bucket that was
// never configured has neither keyspace nor file, as before; a missing
// document is a *NoSuchConfigError naming its kind. They go with
// the bucket: a plain delete drops the keyspace and the file with the
// record; a forced delete at the end of its purge, like the file. A new
// bucket of the same name has a new id and so none.
//
// Tenant defaults (SetTenantConfig, GetTenantConfig; same kinds, at most
// 4 KiB each and 16 KiB together, since every commit reads the tenant
// record) are fields of the tenant record, in the index only: like quotas,
// RebuildIndex does not restore them (the tenants it recreates have none).
//
// An object version's canned ACL (objRecord.ACL, from PutOptions.ACL, an
// upload's recorded ACL at Complete, or SetObjectACL, which changes it in
// place like tags) is in its record on the drives too, so RebuildIndex
// restores it; a version never given one has no "acl" field and keeps its
// bytes.
//
// # Index seam
//
// The index (index.go) hands out typed records (tenantRecord,
// bucketRecord, objRecord, uploadRecord, partRecord), never raw bytes;
// key formats and decoding live in index.go and objcodec.go only. It is
// one implementation (kvTx) over internal/kv, the ordered transactional
// key-value contract (read internal/kv/kv.go), with two backends: bbolt
// (DataDir/index.db, the single-node default, committed through
// groupCommit) and etcd (Config.Index = kv.NewEtcd(client, prefix),
// cluster mode; DataDir/index.db is then not opened). The keyspaces are
// kv buckets: top-level ones (tenants, buckets, parts, ids, trash, packs,
// cleanup, ...) and, per bucket id, nested ones under objects, uploads,
// versions, nulls and configs. What the index uses of kv:
//
//   - Operations: point get, put and delete of a record by its key; a
//     forward walk in key order from a start key (eachObject, eachUpload,
//     eachVersion, newestVersion, parts, countUploads, bucketConfigs, the
//     listing walks objectWalk (objects and versions) and uploadWalk,
//     tenants, buckets, trash); a counter add (addPackBytes, a read and a
//     put in the transaction); dropping a bucket's keyspaces once empty
//     (but for its at most eight configuration documents, dropped with
//     them); clearing the pack counters (a prefix delete, by the recount only).
//     No reverse walks, no other range operations, no server-side logic.
//   - Ordering: keys of a keyspace are ordered bytewise; a walk visits
//     them in that order and every step lands strictly past the previous
//     key (the walker checks it, and ends with the cursor's error when a
//     page read fails). Composite keys (tenant\0bucket,
//     key\0uploadID, uploadID\0<u32 part>) rely on NUL sorting first.
//   - Atomicity: everything an Update or Batch function does commits
//     together or not at all, and is durable when the call returns; a
//     record and the usage counters and ids that count it always change
//     in one transaction (writeTx.commit, applyUsage), on etcd as on bbolt,
//     so quotas stay exact across nodes.
//   - Isolation: serializable read-write transactions. bbolt has one
//     writer. etcd transactions are optimistic (internal/kv/etcd.go): every
//     read of a transaction is at one snapshot revision, writes are
//     buffered (reads and walks see them), and the commit is one etcd Txn
//     applying the writes only if no key the transaction read, and no key
//     in a range a walk covered, changed since the snapshot; otherwise the
//     function runs again (jittered backoff, bounded attempts). So Update
//     and Batch functions may run more than once: they reset their outputs
//     on every run and act on nothing outside the transaction (files are
//     written before and removed after, through the cleanup journal).
//     Batch coalesces a process's concurrent callers into one Txn on etcd
//     as groupCommit does on bbolt. View transactions see one consistent
//     snapshot. Listings read one page per transaction; scrub, purge and
//     rebuild read and write in bounded batches of short transactions.
//     Only the recounts (recountUsage, recountUploads, at Open and after a
//     rebuild) walk everything in one transaction; with Config.Shared Open
//     skips them (and the trash purge: the cluster leader's job).
//   - Hot keys: every write changes its tenant's and bucket's records
//     (exact usage), so writers to one bucket conflict and retry on etcd
//     whichever node they run on; a node's concurrent writers share
//     commits (Batch) instead. The pack byte counters (packs: drive,
//     segment) are changed by every small PUT into a segment: on a shared
//     index each process adds to its own counter of a segment (the key
//     suffixed with a per-Open random shard id) and packBytes sums them,
//     so writers of different tenants on different nodes share no key
//     (BenchmarkEtcdIndexPut: two stores, 8 writers each, 4 KiB PUTs: 0.10
//     conflicts per PUT and 406 PUT/s on one counter, 0 and 607 sharded).
//     bbolt keeps one counter per segment (index.db's format is unchanged).
//   - Limits on etcd: a commit's compares (one per key read, one per range
//     walked) and operations count against etcd's --max-txn-ops (128 by
//     default; run etcd with it raised, kvtest uses 16384) and its size
//     against --max-request-bytes (1.5 MiB): storage writes in batches of
//     purgeBatch records, and the largest transactions are those batches
//     and the recount (which reads every record: on a large store run it
//     only on bbolt, i.e. rebuild single-node). A commit past a limit
//     fails with kv.ErrTooLarge naming the counts; a Batch of several
//     callers past it is split in halves, so only a lone call too large
//     fails. Walks page through etcd (16, then up
//     to 256 keys per read) at the snapshot revision, never a whole bucket.
//   - Errors: every read returns an error beside its value (a remote
//     store can fail any call), and callers pass it up; an etcd without
//     quorum or out of reach returns errors wrapping kv.Unavailable.
//
// # Cursor walks and stalled transactions
//
// Clients choose listing bounds (prefix, delimiter, markers: NUL, 0xFF,
// invalid UTF-8), so no loop over the index may depend on them to end.
// Every loop over a keyspace uses a walker (walk.go); the index hands out
// nothing else. A walker's every step lands on a key strictly greater than
// the one before: a Seek to a key not past the current one becomes Next,
// and a cursor that fails to advance ends the walk with an error. So a loop
// that steps once per iteration ends after at most one iteration per key.
// The walk also checks its context every 64 steps: listings, scrub passes
// and bucket purges read through index.ViewContext with their caller's
// context, so a cancelled request or a closing store leaves its
// transaction. FuzzListing checks listings against in-memory models and
// fails on any call that does not return.
//
// A transaction held open blocks bbolt from growing the file, after which
// every read and write waits. Every transaction (View, Update, each Batch
// caller) is registered while open (txwatch.go); Stalled reports the oldest
// once it is older than Config.SlowTxBound (30 s by default), /readyz
// answers 503 meanwhile, and a watchdog logs each stalled transaction once
// (with its age; no keys) and again when it ends.
//
// # Recovery errors
//
// Rebuild, scrub, compaction and heal do not stop at a drive that cannot
// be read, but they never drop what they skip: RebuildIndex returns
// RebuildStats (Errors and the first 16 messages; `coffer rebuild-index`
// prints them and exits non-zero), and the scrubber, healer and compaction
// count theirs in ScrubStats.Errors and ScrubStats.FirstErrors. Each is
// logged. Messages name drives, files and data ids, never object keys.
//
// # Test hooks
//
// Tests change behaviour only through unexported Config fields
// (testWrapDrive wraps every Drive, e.g. with the power-loss layer;
// testUnaligned writes the unpadded shard layout of earlier versions;
// testPackSegmentSize makes pack segments small; testPackGatherWait
// lengthens a pack batch's wait for announced appends; testIndexDurable runs
// after every durable index commit, where the power-loss layer copies
// index.db and fails commits after its cut), never package variables.
//
// # Caveats
//
// DeleteObject of a missing key succeeds (S3 semantics). The suspended flag
// is recorded here and enforced by the S3 and console layers. Uploads of one
// key are listed in upload id order, not initiation order. Multipart objects
// open their parts' shard files on first use, so a delete racing a read of
// a later part can fail that read. RebuildIndex restores objects, buckets,
// tenants (without quota) and unfinished uploads, not quotas, volumes or
// tenant defaults; a version or part only when its record is on at least
// data drives (.meta files or packed copies): fewer is a write cut before
// its commit (a commit needs write quorum), which could not be read back.
// Pack segments are compacted only by scrub passes (background or Scrub).
// Versioning: stamps come from the wall clock, so a clock set back across
// a restart can order a new version before older ones of its key. A
// removal a crash cut is redone by the next Open (the cleanup journal),
// but removals are not fsynced: after a power loss, a deleted version
// whose unlinks were not yet durable (and whose journal entry was already
// dropped) comes back as a version if the index is rebuilt; packed ones do
// not (delete records are fsynced). A retention set between a forced delete's
// lock check and its trash commit is not seen by that delete. Likewise a
// deleted bucket whose bucket file's removal is lost comes back, empty
// and configured, if the index is rebuilt before a scrub removes the
// orphan file.
//
// Quotas: the byte and object checks made before a body is written
// (precheckQuota) apply the same delta and the same rule (checkUsage) as
// the commit's (what the write replaces is subtracted); only the commit's
// is binding. Parts count toward
// bytes at their commit. A tenant's buckets and unfinished uploads are
// limited (ErrTooManyBuckets, ErrTooManyUploads); with at most 10,000 parts
// an upload, the upload limit bounds the part files (one per drive each,
// even for an empty part) a tenant can leave. Everything created on the
// drives and in DataDir is 0700 (directories) or 0600 (files).
package storage
