// Package client is the reference FBP client: a library a Go program uses to back up, restore,
// delete and list files on an FBP server (SPEC.md).
//
// A Client sends each request on a connection of its own by default, as the exercise's clients
// do and as every server accepts; Options.ReuseConn keeps one connection for all of them.
// Payloads stream both ways: Backup reads the file from an io.Reader and Restore writes it to an
// io.Writer as it arrives, so a file of 4 GiB−1 never sits in memory.
//
// The server is not trusted. Every response is checked before it is used: its status
// must be one the request can get, its filename must be the one asked for (for a listing, 32
// characters [A-Za-z0-9]), its size must be within the client's limits, and its payload must be
// as long as its size says. RestoreFile writes a file only at the path the caller gives, through
// a temporary file beside it that becomes the file only when the whole payload arrived. Every
// network read and write has a deadline: the context's, and a stall timeout when no byte moves.
//
// Errors tell the caller what happened with errors.Is and errors.As: ErrNotExist (status 1001),
// ErrNoFiles (1002), *StatusError (1003 and any status the request does not expect),
// *ProtocolError (a malformed or untrustworthy response); anything else is a network or local
// I/O failure.
package client
