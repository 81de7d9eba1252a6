// Command refclient is the reference FBP client: it backs files up to an FBP server, restores,
// deletes and lists them, and plays the exercise's scripted run (SPEC.md §6).
//
// Usage:
//
//	refclient [flags] COMMAND [flags] [args]
//
// Commands:
//
//	backup FILE...          store each FILE under its base name
//	restore NAME [-o PATH]  fetch NAME into PATH (default: NAME in the current folder)
//	delete NAME             remove NAME from the server
//	list                    print the names of the user's files
//	run [-dir DIR]          the scripted run: server.info and backup.info from DIR (default .)
//	version                 the version of this build
//
// Flags go before or after the command, and those conform also has bear its names and
// defaults: -addr host:port (default: the address in server.info in the current folder, or
// run's DIR, else 127.0.0.1:1234, but run needs one or the other; old name -server), -user N
// (default: a random id, printed), -format text|json (-json: one JSON document on stdout),
// -timeout D (the deadline of every connect, read and write, default 5s), -speed-limit N and
// -speed-time D (give up on a transfer slower than N bytes a second over D, default 1024 over
// 15s), -max-time D (give up on a request that takes longer than D in all, default 0: no
// bound), -max-restore SIZE (refuse a
// restore larger than SIZE before writing a byte, default 1GiB), -keep-conns (one connection
// for all requests of a user; old name -reuse).
// -h prints the help of the command line it ends.
//
// Exit status: 0 success, 1 the server answered an error status, 2 usage error, 3 network or
// protocol failure (or a local file failing during a transfer).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	c := &cli{
		ctx:            ctx,
		stdout:         os.Stdout,
		stderr:         os.Stderr,
		stderrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
	code := c.run(os.Args[1:])
	stop()
	os.Exit(code)
}
