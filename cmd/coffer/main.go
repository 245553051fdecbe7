// Command coffer is Coffer's single binary: the object storage server and the
// operator's admin client. See `coffer --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a graceful shutdown; default handling comes
	// back so that a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}
