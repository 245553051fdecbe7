package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errHelpShown means --help was asked for and printed: success, nothing more to do.
var errHelpShown = errors.New("help shown")

// exitCode prints err and turns it into the process exit status.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "coffer: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "coffer: %v\n", err)
		return 1
	}
}

// command is one flag set with its synopsis, help text and environment
// variables. Flags may come before, between or after positional arguments.
type command struct {
	fs       *flag.FlagSet
	synopsis string // e.g. "coffer admin tenant create NAME [flags]"
	about    string
	env      map[string]string // flag name -> environment variable
	defaults map[string]string // flag name -> default shown in help, when not the zero value's
	stdout   io.Writer
}

func newCommand(synopsis, about string, stdout io.Writer) *command {
	fs := flag.NewFlagSet(synopsis, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &command{fs: fs, synopsis: synopsis, about: about, env: map[string]string{}, defaults: map[string]string{}, stdout: stdout}
}

// withEnv records the environment variable that sets flag name.
func (c *command) withEnv(name, env string) {
	c.env[name] = env
}

// parse applies environment variables, then the command line, and returns the
// positional arguments. Exactly nargs are required (-1: any number).
func (c *command) parse(args []string, nargs int) ([]string, error) {
	if err := c.applyEnv(); err != nil {
		return nil, err
	}
	var positional []string
	for {
		rest, err := c.parseFlags(args)
		if err != nil {
			return nil, err
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if nargs >= 0 && len(positional) != nargs {
		return nil, usagef("usage: %s (see --help)", c.synopsis)
	}
	return positional, nil
}

// parseFlags parses flags up to the first positional argument and returns the rest.
func (c *command) parseFlags(args []string) ([]string, error) {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.printHelp(c.stdout)
			return nil, errHelpShown
		}
		return nil, usagef("%v (see %s --help)", err, c.name())
	}
	return c.fs.Args(), nil
}

// applyEnv sets flags from their environment variables.
func (c *command) applyEnv() error {
	for name, env := range c.env {
		if v, ok := os.LookupEnv(env); ok && v != "" {
			if err := c.fs.Set(name, v); err != nil {
				return usagef("%s=%q: %v", env, v, err)
			}
			if l, ok := c.fs.Lookup(name).Value.(*listFlag); ok {
				l.fromEnv = true
			}
		}
	}
	return nil
}

// name is the synopsis up to its first argument placeholder.
func (c *command) name() string {
	var words []string
	for _, w := range strings.Fields(c.synopsis) {
		if strings.ToLower(w) != w || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "-") {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// printHelp documents the command and every flag with its environment variable.
func (c *command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n", c.synopsis)
	if c.about != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(c.about))
	}
	var any bool
	c.fs.VisitAll(func(f *flag.Flag) {
		if !any {
			fmt.Fprintln(w, "Flags:")
			any = true
		}
		kind, usage := flag.UnquoteUsage(f)
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
			kind = ""
		}
		fmt.Fprintf(w, "  --%s", f.Name)
		if kind != "" {
			fmt.Fprintf(w, " %s", kind)
		}
		fmt.Fprintf(w, "\n      %s", usage)
		var notes []string
		if env, ok := c.env[f.Name]; ok {
			notes = append(notes, "env "+env)
		}
		if d, ok := c.defaults[f.Name]; ok {
			notes = append(notes, "default "+d)
		} else if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" {
			notes = append(notes, "default "+f.DefValue)
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(notes, "; "))
		}
		fmt.Fprintln(w)
	})
}

// listFlag is a repeatable flag that also accepts comma-separated lists.
// Values from the environment are replaced, not extended, by the command line.
type listFlag struct {
	values  []string
	fromEnv bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(v string) error {
	if l.fromEnv {
		l.values, l.fromEnv = nil, false
	}
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			l.values = append(l.values, part)
		}
	}
	return nil
}

// sizeFlag is a byte count written as 123, 500MB or 10GiB.
type sizeFlag struct {
	bytes int64
	set   bool
}

func (s *sizeFlag) String() string {
	if s == nil || !s.set {
		return ""
	}
	return formatBytes(s.bytes)
}

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	s.bytes, s.set = n, true
	return nil
}
