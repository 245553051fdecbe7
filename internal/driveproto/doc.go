// Package driveproto is the internal drive protocol of cluster mode: a node
// serves its local drives to the other nodes over HTTP (NewHandler), and a
// node's Store reaches the other nodes' drives as storage.Drive values
// (Dial). Everything storage does to a drive works remotely; shards
// stream, and no object is ever held whole in memory.
//
// # Endpoints
//
// All under PathPrefix<drive>/<op>, <drive> being the node's drive index
// in decimal. Data file names travel in the "name" query parameter and
// must look like storage's ("<hex id>.meta", "<hex id>.shard": letters,
// digits, '.', '-', '_', no "..", at most 200 bytes).
//
//	GET  ping                       200 "ok" (the offline probe)
//	GET  present                    JSON bool
//	GET  format / PUT format        the format record (JSON storage.DriveFormat)
//	POST create?name&token[&shard=1] the temporary file's bytes, streamed (see below)
//	POST commit?token / abort?token  rename into place / drop a synced temporary file
//	POST syncdir?name               fsync the directory holding name
//	GET  stat?name                  JSON size (Open)
//	GET  read?name&off&len          up to len bytes (ShardFile.ReadAt), streamed; X-Coffer-EOF when short
//	GET  file?name                  the whole file (ReadFile; at most 16 MiB)
//	POST remove                     JSON list of names (at most 10,000)
//	GET  walk                       frames: JSON pages of 1,000 {name, mod}
//	POST cleantemp?age              JSON count removed (age in ns)
//	GET  usage                      JSON {total, free}
//	POST append                     the pack record; JSON storage.PackLoc
//	GET  packed?seg&off&len         the pack record
//	GET  segments / active / packsize?seg   JSON
//	GET  scan?seg                   frames: u64 offset, record
//	POST removepack?seg
//
// A drive's errors come back as a status and a JSON {kind, msg}; kinds
// "notexist" and "diskfull" become errors wrapping fs.ErrNotExist and
// storage.ErrDiskFull, which storage tests with errors.Is.
//
// # Authentication
//
// Every request carries X-Coffer-Drive-Date (Unix ms), X-Coffer-Drive-Nonce
// (16 random bytes, hex) and X-Coffer-Drive-Signature: hex HMAC-SHA256
// under the cluster secret (at least 16 bytes; the secret file holds 32)
// of "COFFER-DRIVE-V1\n" method "\n" escaped path "\n" raw query "\n"
// date "\n" nonce. The handler refuses with 403, before it parses
// anything else or touches a drive, a request whose timestamp is more
// than 5 minutes from its clock, whose signature does not match, or
// whose nonce it has seen. Nonces of accepted requests are remembered
// (at most 131,072; past that the oldest go and requests stamped no later
// than the newest forgotten one are refused, so no forgotten nonce can be
// replayed; under heavy load the nodes' clocks must agree more closely).
// Bodies are not signed (they stream): the protocol trusts the network
// with their confidentiality (run it on a private network, or pass a TLS
// transport in Options), and bytes are trusted only through checksums.
//
// # Checksums
//
// Storage already verifies what it reads back: every shard block carries
// its xxh3 in its frame, .meta files and pack records end with an xxh3,
// and a drive's corrupt copy is reconstructed from the others. The
// protocol adds its own so that no call returns bytes nobody checks:
// every unary body, either way, carries X-Coffer-Sum (xxh3 of the body)
// and is refused on mismatch (but a ranged read's: it streams a shard
// stream's frames straight into the reader's buffer, and the store's
// decoder checks each frame's xxh3); a temporary file's stream ends with
// trailers X-Coffer-Len and X-Coffer-Sum, which the node checks before it
// fsyncs; stream frames carry an xxh3 each.
//
// # Framing
//
// A temporary file (Create, CreateShard) is one POST whose chunked body is
// fed by the file's writes through a pipe: memory per stream is the
// pipe's handoff and the node's 256 KiB buffer, whatever the size. The
// node writes through that buffer in 4 KiB multiples, so shard frames
// still reach the disk as aligned direct I/O. Sync ends the body; the
// node checks the trailers, fsyncs, answers, and holds the open file
// under the client's random token until "commit" renames it (or "abort",
// or 2 minutes pass: then it is aborted). Abort before Sync breaks the
// stream; the node removes what it received.
//
// Walk and ScanPack answer a stream of frames: a type byte ('D' data,
// 'E' error, 'Z' end), a u32 length (at most 8 MiB), the payload and its
// xxh3. A stream without its end frame was cut, and fails.
//
// # Deadlines and limits
//
// Client (Options): connecting 2 s; a unary call 30 s from start to its
// whole answer; a stream may make no progress (a write handed to the
// connection, a frame read) for 30 s; after a temporary file's Sync the
// answer is awaited 30 s. Server: a temporary file's stream may pause 2
// minutes between reads (its writer waits on its own client's body), a
// unary body read and each frame written get 30 s; unary bodies at most 4 MiB; at most 512
// requests in progress per peer address (503 past it); at most 8,192
// synced temporary files awaiting commit. The http.Server around the
// handler should set ReadHeaderTimeout and an IdleTimeout above the
// client's 30 s idle connection timeout.
//
// # Offline drives
//
// A call that cannot reach the node (refused, timed out, connection
// broken) takes the drive offline: every call then fails at once with an
// error wrapping storage.ErrDriveOffline (Present answers false), so a
// dead node costs the store's reads and writes no waiting, only that
// drive's shard (quorum decides). A probe pings the node every second
// (each ping within max(1 s, the connect timeout)) and brings the drive
// back at the first answer. Idempotent calls (reads, stat, Remove,
// CleanTemp, RemovePack) are retried once on a connection error before
// the drive goes offline; writes (temporary files, Append, Format, commit)
// are not.
//
// # Ownership
//
// One process opens each local drive once (storage.OpenLocalDrive) and
// hands the same Drive to its Store (storage.Config.DriveSet) and to
// NewHandler: a drive's pack log has one appender. The Store does not
// close DriveSet drives; their opener closes them after the Store.
//
// # Caveats
//
// A remote ShardFile reads by name (stat at Open, one ranged request per
// ReadAt): a file removed after Open (a delete or overwrite racing a
// read) reads as missing, and the read reconstructs the shard from the
// other drives or fails with storage.ErrQuorum, where a local open file
// would survive its unlink. Streams and calls to one node share its
// address's limit of 512 requests in progress.
package driveproto
