package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	rules "github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// Config wires an Executor.
type Config struct {
	Store storage.ObjectStore
	// Now is the clock rules are evaluated against; nil is time.Now.
	Now func() time.Time
	// Rate bounds deletes (and aborts) per second; 0 or less is unbounded.
	Rate float64
	// Interval is the time between background passes (Run); 0 is an hour.
	Interval time.Duration
	// StateFile keeps the cursor of an unfinished pass; "" keeps none (a
	// pass interrupted then starts over, which is safe but repeats work).
	StateFile string
	// PageSize is the listing page size; 0 is 1000.
	PageSize int
	Logger   *slog.Logger
}

// Default values.
const (
	DefaultInterval = time.Hour
	DefaultRate     = 100
	defaultPageSize = 1000
)

// TenantDefaultDays reads a tenant's default for aborting incomplete
// multipart uploads: the tenant's ConfigLifecycle document
// (storage.SetTenantConfig) holds a decimal number of days, 0 turning the
// default off. Without a document the default is rules.DefaultAbortDays.
// A document that is not a number is ignored (the default applies) rather
// than stopping the pass.
func TenantDefaultDays(ctx context.Context, store storage.ObjectStore, tenant string) (int, error) {
	doc, err := store.GetTenantConfig(ctx, tenant, storage.ConfigLifecycle)
	if errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return rules.DefaultAbortDays, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(doc)))
	if err != nil || n < 0 {
		return rules.DefaultAbortDays, nil
	}
	return n, nil
}

// FormatTenantDefault is the tenant document for a default of days.
func FormatTenantDefault(days int) []byte { return []byte(strconv.Itoa(days)) }
