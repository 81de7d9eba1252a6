// Package client is the reference FBP client: a library a Go program uses to back up, restore,
// delete and list files on an FBP server (SPEC.md).
//
// A Client sends each request on a connection of its own by default, as the exercise's clients
// do and as every server accepts; Options.ReuseConn keeps one connection for all of them.
// Payloads stream both ways: Backup reads the file from an io.Reader and Restore writes it to an
// io.Writer as it arrives, so a file of 4 GiB−1 never sits in memory.
//
// The server is not trusted. Every response is checked before it is used: its version
// byte must be 1, its status one the protocol defines and the request can get, its filename the
// one asked for (for a listing, 32 characters [A-Za-z0-9]), its size within the client's limits
// (a RESTORE over MaxRestore, 1 GiB by default, is refused before a byte is written), and its
// payload as long as its size says. RestoreFile writes a file only at the path the caller
// gives, through a temporary file beside it that becomes the file only when the whole payload
// arrived. A listing is read as it arrives, at most MaxListNames names of at most MaxName bytes,
// and costs about its own size in memory. Every network read and write has a deadline: the
// context's, a stall timeout when no byte moves, the end of a window of MinRateTime over which
// a transfer must move MinRate bytes a second (1 KiB/s over 15 s by default), so that a server
// trickling bytes cannot hold it long while a large file on a slow link that keeps moving is
// never cut, and MaxTime on the whole request when it is set. An error quotes at most a few
// dozen bytes of what the server sent.
//
// Errors tell the caller what happened with errors.Is and errors.As: ErrNotExist (status 1001),
// ErrNoFiles (1002), *StatusError (1003 and a defined status the request does not expect),
// *ProtocolError (a malformed or untrustworthy response, garbage and undefined statuses among
// them), *StallError, *RateError and *TimeLimitError (a server too slow); anything else is a network or
// local I/O failure.
package client
