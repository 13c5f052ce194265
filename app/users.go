package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/silencewatch/silencewatch/review"
	"github.com/silencewatch/silencewatch/store"
)

const usersUsage = `usage: silencewatch users add|list|remove|token [flags]

  users add -name NAME -role viewer|reviewer|admin   create an account; the password is read from standard input (or asked for on a terminal)
  users list                                          list the accounts
  users remove -name NAME                             delete an account, its sessions and API tokens
  users token -name NAME                              print a new API token for the account (shown once; only its hash is kept)

Every subcommand takes -config FILE.
`

// runUsers manages the review web UI's accounts.
func runUsers(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(env.Stderr, usersUsage)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	sub := args[0]
	fs := newFlagSet("users "+sub, env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	var name, role *string
	switch sub {
	case "add":
		name = fs.String("name", "", "the account's `name`")
		role = fs.String("role", "", "viewer (read), reviewer (read and record verdicts) or admin")
	case "remove", "token":
		name = fs.String("name", "", "the account's `name`")
	case "list":
	default:
		fmt.Fprintf(env.Stderr, "silencewatch users: unknown subcommand %q\n\n%s", sub, usersUsage)
		return ExitUsage
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "silencewatch users %s: unexpected argument %q\n", sub, fs.Arg(0))
		return ExitUsage
	}
	if name != nil && strings.TrimSpace(*name) == "" {
		fmt.Fprintf(env.Stderr, "silencewatch users %s: -name is required\n", sub)
		return ExitUsage
	}
	if role != nil && !review.ValidRole(*role) {
		fmt.Fprintf(env.Stderr, "silencewatch users add: -role %q: want viewer, reviewer or admin\n", *role)
		return ExitUsage
	}
	_, st, code := configAndStore(ctx, "users", *configPath, env)
	if st == nil {
		return code
	}
	defer st.Close()
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "silencewatch users %s: %v\n", sub, err)
		return ExitUsage
	}
	switch sub {
	case "add":
		password, err := readPassword(env, *name)
		if err != nil {
			return fail(err)
		}
		hash, err := review.HashPassword(password, review.DefaultHashParams())
		if err != nil {
			return fail(err)
		}
		if _, err := st.AddUser(ctx, *name, *role, hash, env.Now()); errors.Is(err, store.ErrExists) {
			return fail(fmt.Errorf("an account named %q exists (users remove it first)", *name))
		} else if err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.Stdout, "added %s (%s)\n", *name, *role)
	case "list":
		users, err := st.Users(ctx)
		if err != nil {
			return fail(err)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		tw.Flush()
	case "remove":
		if err := st.RemoveUser(ctx, *name); errors.Is(err, store.ErrNotFound) {
			return fail(fmt.Errorf("no account named %q", *name))
		} else if err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.Stdout, "removed %s, its sessions and API tokens\n", *name)
	case "token":
		u, err := st.UserByName(ctx, *name)
		if errors.Is(err, store.ErrNotFound) {
			return fail(fmt.Errorf("no account named %q", *name))
		} else if err != nil {
			return fail(err)
		}
		tok, err := review.NewToken()
		if err != nil {
			return fail(err)
		}
		if err := st.AddAPIToken(ctx, u.ID, review.TokenHash(tok), env.Now()); err != nil {
			return fail(err)
		}
		fmt.Fprintln(env.Stdout, tok)
		fmt.Fprintf(env.Stderr, "API token for %s (%s): shown once, only its hash is kept. Use it as: Authorization: Bearer TOKEN\n", u.Name, u.Role)
	}
	return ExitOK
}

// readPassword asks for the password twice on a terminal (without echo),
// and otherwise reads the first line of standard input.
func readPassword(env Env, name string) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Stderr, "Password for %s: ", name)
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		fmt.Fprint(env.Stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	if env.Stdin == nil {
		return "", errors.New("no password on standard input")
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input (pipe it in, or run on a terminal to be asked)")
	}
	return line, nil
}
