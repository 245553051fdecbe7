package main

import (
	"encoding/json"
	"strconv"
	"time"
)

// JSON shapes of the admin API (docs/architecture.md, "Console JSON API").

type quotaJSON struct {
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
}

type usageJSON struct {
	Objects    int64 `json:"objects"`
	Bytes      int64 `json:"bytes"`
	Containers int   `json:"containers"`
}

type tenantJSON struct {
	Name           string       `json:"name"`
	Created        time.Time    `json:"created"`
	Suspended      bool         `json:"suspended"`
	Quota          quotaJSON    `json:"quota"`
	Usage          usageJSON    `json:"usage"`
	HasCredentials bool         `json:"hasCredentials"`
	Users          []userJSON   `json:"users"`
	Volumes        []volumeJSON `json:"volumes"`
}

type userJSON struct {
	Username string    `json:"username"`
	Tenant   string    `json:"tenant"`
	Role     string    `json:"role"`
	Created  time.Time `json:"created"`
}

type volumeJSON struct {
	Name      string    `json:"name"`
	SizeBytes int64     `json:"sizeBytes"`
	Server    string    `json:"server"`
	Created   time.Time `json:"created"`
}

type keyJSON struct {
	AccessKey string    `json:"accessKey"`
	SecretKey string    `json:"secretKey,omitempty"`
	Created   time.Time `json:"created"`
	LastUsed  time.Time `json:"lastUsed"`
}

type driveJSON struct {
	Index      int    `json:"index"`
	Path       string `json:"path"`
	Online     bool   `json:"online"`
	TotalBytes uint64 `json:"totalBytes"`
	FreeBytes  uint64 `json:"freeBytes"`
	Errors     uint64 `json:"errors"`
}

type drivesJSON struct {
	Drives []driveJSON `json:"drives"`
	Ready  *bool       `json:"ready"`
	Scrub  *scrubJSON  `json:"scrub"`
}

type scrubJSON struct {
	Running        bool      `json:"running"`
	ObjectsScanned uint64    `json:"objectsScanned"`
	ObjectsHealed  uint64    `json:"objectsHealed"`
	ShardsRepaired uint64    `json:"shardsRepaired"`
	OrphansRemoved uint64    `json:"orphansRemoved"`
	Errors         uint64    `json:"errors"`
	LastScrubDone  time.Time `json:"lastScrubDone"`
	Progress       float64   `json:"progress"`
}

type auditJSON struct {
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Tenant   string    `json:"tenant"`
	Action   string    `json:"action"`
	Target   string    `json:"target"`
	RemoteIP string    `json:"remoteIP"`
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

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
