// Package lifecycle is the executor of bucket lifecycle rules: a background
// pass that walks every tenant's buckets, asks pkg/lifecycle (the rule
// engine) what is due, and carries it out through storage's ordinary
// calls (DeleteObject, AbortMultipartUpload), so usage, quotas, versions,
// Object Lock and metrics stay exact: the executor never edits the index.
//
// # Basics
//
// New takes a Config: the store, a clock (Now; tests inject one and run a
// year of daily passes in seconds), the delete rate (a token bucket over
// deletes, marker additions and aborts), the interval of the background
// loop and the file that keeps the cursor of an unfinished pass. RunPass
// runs one pass now (coffer admin lifecycle run); Run loops until its
// context ends.
//
// A pass visits tenants and their buckets in name order. For each bucket
// it pages ListObjectVersions, streaming each key's versions (newest
// first, possibly across pages) into the engine's facts, then pages
// ListMultipartUploads and aborts uploads past their date: the bucket's
// own AbortIncompleteMultipartUpload rule, or else the tenant's default
// (see TenantDefaultDays).
//
// # Crash safety
//
// After every page of versions the pass records (tenant, bucket, last key
// fully handled) in the state file (written to a temporary file, synced
// and renamed), and before it adds a delete marker, the key it adds it to
// (see cursor.InKey). Upload aborts record nothing: redoing them after a
// crash is harmless, since an aborted upload is no longer listed. A pass that finds a state file resumes there: buckets before
// it are not visited again, and the bucket's listing starts after that
// key. Every decision is derived from the versions as they are, so a key
// handled twice (the page after the last recorded cursor) asks for nothing
// twice: a removed version is no longer listed, and deleting a version id
// that is already gone is a no-op.
//
// # Races with clients
//
// A decision is made on a listing that may be stale. Before each delete
// the executor reads the version it decided on again (GetObjectVersion)
// and skips it ("changed") when it moved:
//   - a noncurrent version must still exist and not be current; it is
//     deleted by version id;
//   - an expiring current version of a versioned bucket must still be the
//     current version (same version id); the delete adds a marker. A PUT
//     landing between the check and the delete only gets a marker on top:
//     its data stays, as a noncurrent version;
//   - in a never-versioned bucket the current object must still have the
//     same ETag and modification time. Storage has no conditional delete,
//     so a PUT landing between that check and the delete (microseconds)
//     is deleted: the one window left, accepted and documented here.
//   - an expired delete marker must still be the current version and the
//     key's only version; it is deleted by version id.
//
// Locked versions (retention or legal hold) are refused by storage with
// ErrObjectLocked and counted as skipped; governance is never bypassed.
package lifecycle
