package metrics

import "sync"

// otherLabel replaces label values past a boundedLabel's limit.
const otherLabel = "other"

// maxLabelLen bounds the length of one caller-supplied label value.
const maxLabelLen = 64

// boundedLabel admits at most limit distinct values of a label that callers
// supply; later new values, and values that are empty, too long or not plain
// identifiers, become "other".
type boundedLabel struct {
	mu    sync.RWMutex
	seen  map[string]struct{}
	limit int
}

func newBoundedLabel(limit int) *boundedLabel {
	return &boundedLabel{seen: make(map[string]struct{}), limit: limit}
}

func (b *boundedLabel) value(v string) string {
	if !plainLabel(v) {
		return otherLabel
	}
	b.mu.RLock()
	_, ok := b.seen[v]
	b.mu.RUnlock()
	if ok {
		return v
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[v]; ok {
		return v
	}
	if len(b.seen) >= b.limit {
		return otherLabel
	}
	b.seen[v] = struct{}{}
	return v
}

// plainLabel reports whether v is a short identifier of ASCII letters, digits,
// '_', '-', '.', ' ', ':' and '/', as operation names and auth reasons are.
func plainLabel(v string) bool {
	if v == "" || len(v) > maxLabelLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.', c == ' ', c == ':', c == '/':
		default:
			return false
		}
	}
	return true
}
