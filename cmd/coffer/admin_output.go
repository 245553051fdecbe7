package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
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
