package console

// SetSummaryUploads lowers the uploads one containers list summarises, for a
// test that must not run in parallel; it returns the restore function.
func SetSummaryUploads(n int) (restore func()) {
	old := summaryUploads
	summaryUploads = n
	return func() { summaryUploads = old }
}

// Attachment is the Content-Disposition of a download of key.
var Attachment = attachment

// ShortUserAgent names a client for the session list.
var ShortUserAgent = shortUserAgent

// Usable is the usable share of raw capacity (overview.go).
var Usable = usable
