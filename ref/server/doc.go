// Package server is the reference FBP server: New(cfg), then Serve(listener) or ServeConn(conn),
// then Shutdown(ctx). It follows SPEC.md §1–5 with the canonical status mapping.
//
// # Requests
//
// A connection carries one request, and further ones until the client closes it. A LIST
// is answered as soon as its 6 bytes have arrived. Requests are served whatever their
// version byte; responses carry version 1 (R-5.2 allows either).
//
//   - BACKUP streams the payload into a temporary file of the user's folder, syncs it and
//     renames it over the previous version, then answers 212 (see package storage). If the
//     client disconnects or stalls, the temporary file is removed and no answer is sent; if the
//     store fails, the answer is 1003 and the connection closes. Either way the previous
//     version is intact.
//   - RESTORE streams the opened file and states the size of what it opened: 210, or 1001 with
//     the name if there is no such file.
//   - DELETE: 212, or 1001 with the name if there is no such file.
//   - LIST: 211 with a fresh name of 32 characters [A-Za-z0-9] from crypto/rand and one stored
//     name per line, each ending in "\n", sorted; 1002 if the user has no files. Nothing is
//     written to disk for it.
//   - Any store failure: 1003.
//
// # Hostile input
//
//   - Every read of a request has its own deadline (ReadTimeout) and every write of a response
//     its own (WriteTimeout); the first byte of a further request on a kept connection may take
//     IdleTimeout. A payload moved by splice or sendfile gets one deadline per MiB. A stalled
//     client is cut off and holds no lock and no file.
//   - Nothing is allocated from a length the client sent beyond the limits: names are at most
//     Limits.MaxName bytes, payloads stream through in constant memory.
//   - A filename is checked with wire.CheckName before any filesystem call. A BACKUP
//     with an unsafe name is answered 1003 after its payload is read and dropped (its size is
//     within the limit, and draining keeps the connection usable); RESTORE and DELETE with an
//     unsafe name answer 1001 with the name. A name_len over Limits.MaxName is refused before
//     the name is read, so there is no name to echo: every op answers 1003 and the connection
//     closes.
//   - A size over Limits.MaxPayload is answered 1003 before any payload byte is read, then the
//     connection closes. So does an unknown op, whose layout is unknown.
//   - A truncated or malformed request ends its own connection only. After an error
//     answer the server closes its side for writing and reads and drops what the client still
//     sends for up to half a second, so that a reset does not destroy the answer in flight.
//
// # Concurrency
//
// Each connection has its own goroutine. Serve serves at most MaxConns connections at once;
// beyond that it stops accepting, and new clients wait in the listener's backlog until a
// connection ends. The store makes concurrent operations on one user behave as if run one at a
// time in some order: a RESTORE sends one whole version, a LIST shows exactly the files
// committed before it.
//
// # Logging
//
// Each request gives one log line, "request", with remote, user, op, name, status (the code,
// or "none" when no answer was sent), bytes (payload bytes received or sent), duration and,
// when it failed or was refused, err. Payload bytes are never logged.
//
// # Shutdown
//
// Shutdown stops accepting, closes connections waiting for a request (new or kept) and lets
// requests in progress finish until its context ends; then it closes the rest, whose uploads are discarded.
// No temporary file is left behind.
package server
