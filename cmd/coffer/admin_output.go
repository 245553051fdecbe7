package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// listTable GETs path and prints the list it answers (under key, see listOf)
// as a table, one row an item; under --json it prints the answer as is.
func listTable[T any](ctx context.Context, a *adminEnv, path, key string, header []string, row func(T) []string) error {
	raw, err := a.client.call(ctx, "GET", path, nil, nil)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(raw)
	}
	items, err := listOf[T](raw, key)
	if err != nil {
		return fmt.Errorf("unexpected answer from the server: %w", err)
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, row(it))
	}
	return a.table(header, rows)
}

// listOf decodes either a bare JSON array or an object holding it under key.
func listOf[T any](raw []byte, key string) ([]T, error) {
	var list []T
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	if inner, ok := obj[key]; ok {
		if err := json.Unmarshal(inner, &list); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// when renders a time for tables; the zero time is "-".
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// whenSet is when for a time the API sends as null when it never happened.
func whenSet(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return when(*t)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// safe returns s with every rune a terminal could act on escaped the way
// strconv.Quote writes it (\x1b, \n, \u202e, \x9b for a stray byte): C0 and
// C1 controls, DEL, bidi and other format characters, invalid UTF-8.
// Tenant, user, volume and container names come from others; printed raw
// they could move the cursor, rewrite lines or retitle the operator's
// terminal. Every human-readable value the CLI prints goes through safe.
func safe(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// printable reports whether s is valid UTF-8 made only of printable runes and spaces.
func printable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !unicode.IsPrint(r)) {
			return false
		}
	}
	return true
}

// safeJSON escapes, in JSON text, the non-printable runes encoding/json
// leaves raw: DEL, C1 controls (U+0080-U+009F, which some terminals read
// as escape sequences), bidi and other format characters. Such runes can
// only sit inside JSON strings, where \uXXXX is their exact JSON spelling,
// so the output decodes to the same values. Invalid UTF-8 becomes U+FFFD.
func safeJSON(raw []byte) []byte {
	if utf8.Valid(raw) && printable(strings.Map(func(r rune) rune {
		if r < 0x7f {
			return 'x' // ASCII: JSON syntax, whitespace or already escaped
		}
		return r
	}, string(raw))) {
		return raw
	}
	out := make([]byte, 0, len(raw)+32)
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		switch {
		case r < 0x7f || (r != utf8.RuneError && unicode.IsPrint(r)):
			out = append(out, raw[i:i+size]...)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default: // includes invalid bytes (RuneError): U+FFFD
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}
