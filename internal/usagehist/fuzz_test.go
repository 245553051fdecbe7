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
// skipped, never a panic; a written one reads back as written.
func FuzzDecodePoint(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1}, make([]byte, 32))
	f.Add([]byte{1}, []byte{2})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		p, ok := decodePoint(k, v)
		if !ok {
			return
		}
		if got := encodePoint(p); string(got) != string(v) || string(pointKey(p.Time)) != string(k) {
			t.Fatalf("round trip of %x/%x: %+v", k, v, p)
		}
	})
}
