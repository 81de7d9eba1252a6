// Package procgroup starts a command in a process group of its own, so that stopping it
// reaches what it started too: a server or a client run through a wrapper script, or through
// `go run`, leaves a child behind otherwise.
package procgroup
