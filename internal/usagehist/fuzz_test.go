package usagehist

import "testing"

// FuzzParseRange: ?range= comes from the client; anything but the three
// names is ErrBadRange, and a parsed range always has a record and a span.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"", "48h", "30d", "365d", "7d", "48H", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			if err != ErrBadRange || r != "" {
				t.Fatalf("ParseRange(%q) = %q, %v", s, r, err)
			}
			return
		}
		rec, back := r.span()
		if rec.slot <= 0 || back <= 0 || back > rec.keep {
			t.Fatalf("range %q: record %+v span %v", r, rec, back)
		}
	})
}

// FuzzDecodePoint: a record of usage.db this version did not write is
// skipped, never a panic; what it reads encodes and reads back the same.
func FuzzDecodePoint(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1}, encodePoint(Point{Objects: 3, Bytes: 1 << 40, QuotaBytes: -1}))
	f.Add([]byte{1}, []byte{2})
	f.Add(make([]byte, 8), []byte{0x80, 0x80})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		p, ok := decodePoint(k, v)
		if !ok {
			return
		}
		q, ok := decodePoint(pointKey(p.Time), encodePoint(p))
		if !ok || q != p {
			t.Fatalf("round trip of %x/%x: %+v, then %+v %v", k, v, p, q, ok)
		}
	})
}
