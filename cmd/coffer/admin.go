package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// defaultAdminServer is the console listener of `make run`.
const defaultAdminServer = "http://127.0.0.1:9001"

const adminAbout = `Manages a running server through its admin API, as the operator: with the
operator API token (--token-file DIR/operator.token, or --token), which no
failed logins by others can lock out, or with the password (HTTP Basic as
"admin"). Global flags come before the command:

  coffer admin --server URL --token-file data/operator.token tenant create NAME

Every command accepts --help and --json. Commands:
`

// adminEnv is what every admin command runs with.
type adminEnv struct {
	client *adminClient
	stdout io.Writer
	json   bool
}

// adminCommand is one `coffer admin` command. setup declares its flags and
// returns the function that runs it.
type adminCommand struct {
	name    string // "tenant create"
	args    string // "NAME [--quota-objects N]"
	nargs   int
	summary string
	setup   func(c *command) func(ctx context.Context, a *adminEnv, args []string) error
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	g := newCommand("coffer admin [--server URL] [--token-file FILE | --password P] COMMAND [args] [flags]", adminAbout+commandList(""), stdout)
	server := g.fs.String("server", defaultAdminServer, "`URL` of the server's console listener")
	token := g.fs.String("token", "", "operator API `TOKEN` (sent as Authorization: Bearer; preferred over --password)")
	tokenFile := g.fs.String("token-file", "", "`FILE` holding the operator API token, e.g. DIR/operator.token")
	password := g.fs.String("password", "", "operator `PASSWORD`")
	caCert := g.fs.String("ca-cert", "", "PEM `FILE` of the CA that signed the server's TLS certificate")
	g.withEnv("server", "COFFER_SERVER")
	g.withEnv("token", "COFFER_ADMIN_TOKEN")
	g.withEnv("token-file", "COFFER_ADMIN_TOKEN_FILE")
	g.withEnv("password", "COFFER_ADMIN_PASSWORD")
	g.withEnv("ca-cert", "COFFER_CA_CERT")
	if err := g.applyEnv(); err != nil {
		return err
	}
	rest, err := g.parseFlags(args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		g.printHelp(stderr)
		return usagef("admin: no command given")
	}
	if rest[0] == "rebuild-index" {
		return runRebuildIndex(ctx, "coffer admin rebuild-index", rest[1:], stdout)
	}
	cmd, rest := findAdminCommand(rest)
	if cmd == nil {
		group := rest[0]
		if list := commandList(group); list != "" {
			fmt.Fprintf(stdout, "Usage: coffer admin %s COMMAND\n\nCommands:\n%s", group, list)
			if len(rest) == 1 || isHelp(rest[1]) {
				return errHelpShown
			}
			return usagef("admin %s: unknown command %q", group, rest[1])
		}
		return usagef("admin: unknown command %q (see coffer admin --help)", rest[0])
	}
	c := newCommand("coffer admin "+cmd.name+" "+cmd.args, cmd.summary+".", stdout)
	runCmd := cmd.setup(c)
	a := &adminEnv{stdout: stdout}
	c.fs.BoolVar(&a.json, "json", false, "print the server's JSON answer instead of a table")
	pos, err := c.parse(rest, cmd.nargs)
	if err != nil {
		return err
	}
	if *token == "" && *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("operator token: %w", err)
		}
		if *token = strings.TrimSpace(string(b)); *token == "" {
			return fmt.Errorf("operator token: %s is empty", *tokenFile)
		}
	}
	if a.client, err = newAdminClient(*server, adminCredentials{token: *token, password: *password}, *caCert); err != nil {
		return err
	}
	if err := runCmd(ctx, a, pos); err != nil {
		return fmt.Errorf("admin %s: %w", cmd.name, err)
	}
	return nil
}

func isHelp(s string) bool {
	return s == "-h" || s == "--help" || s == "-help" || s == "help"
}

// findAdminCommand matches the longest command name at the start of args.
func findAdminCommand(args []string) (*adminCommand, []string) {
	for i := range adminCommands {
		words := strings.Fields(adminCommands[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == adminCommands[i].name {
			return &adminCommands[i], args[len(words):]
		}
	}
	return nil, args
}

// commandList lists the commands of a group ("" = all).
func commandList(group string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	for _, c := range adminCommands {
		if group == "" || strings.HasPrefix(c.name, group+" ") || c.name == group {
			fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
		}
	}
	if group == "" {
		fmt.Fprintf(tw, "  rebuild-index --data DIR\trebuild the index from the drives (offline)\n")
	}
	_ = tw.Flush() // into a strings.Builder, which never fails
	return b.String()
}

// printJSON re-indents a JSON answer onto stdout.
func (a *adminEnv) printJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return fmt.Errorf("unexpected answer from the server: %w", err)
	}
	out.WriteByte('\n')
	_, err := a.stdout.Write(safeJSON(out.Bytes()))
	return err
}

// table prints rows under a header, aligned.
func (a *adminEnv) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = safe(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// result prints raw as JSON under --json, else the human line; string
// arguments (names) are escaped by safe.
func (a *adminEnv) result(raw []byte, format string, args ...any) error {
	if a.json {
		return a.printJSON(raw)
	}
	_, err := fmt.Fprintf(a.stdout, format+"\n", safeArgs(args)...)
	return err
}

// printf writes a human-readable line with string arguments escaped by safe.
func (a *adminEnv) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, safeArgs(args)...)
}

func safeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, v := range args {
		if s, ok := v.(string); ok {
			v = safe(s)
		}
		out[i] = v
	}
	return out
}
