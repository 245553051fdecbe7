package main

import (
	"encoding/json"
	"strconv"
	"time"
)

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
