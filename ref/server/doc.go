// Package server is the reference FBP server: New(cfg), then Serve(listener) or ServeConn(conn),
// then Shutdown(ctx). It follows SPEC.md §1–5 with the canonical status mapping.
//
// # Requests
//
// A connection carries one request, and further ones until the client closes it, all
// of one user: the user of its first request. A request of another user on it is answered 1003,
// and the connection closes (the server's policy, which allows: bytes a client sends
// after its request, padding or extra fields, are never served as requests of whatever user
// they spell). With OneRequest, every connection closes after its first response. A LIST is
// answered as soon as its 6 bytes have arrived. Requests are served whatever their
// version byte; responses carry version 1 (R-5.2 allows either).
//
//   - BACKUP is checked against the store's limits first (see Limits below): over one, it is
//     answered 1003 before any payload byte is read, and the connection closes. Otherwise it
//     streams the payload into a temporary file of the user's folder, syncs it and renames it
//     over the previous version, then answers 212 (see package storage). If the client
//     disconnects or stalls, the temporary file is removed and no answer is sent; if the store
//     fails, the answer is 1003 and the connection closes. Either way the previous version is
//     intact.
//   - RESTORE streams the opened file and states the size of what it opened: 210, or 1001 with
//     the name if there is no such regular file.
//   - DELETE: 212, or 1001 with the name if there is no such regular file.
//   - LIST: 211 with a fresh name of 32 characters [A-Za-z0-9] from crypto/rand and one stored
//     name per line, each ending in "\n", in the order of the user's folder; 1002 if the user
//     has no files. The listing is a snapshot taken under the user's lock, so its size is known
//     before a name is sent: up to 64 KiB it is kept in memory, beyond that in an unlinked
//     temporary file, so a LIST costs at most 64 KiB of memory whatever the listing's size.
//   - Any store failure: 1003.
//
// # Limits
//
// Each user may hold at most MaxFiles files and Quota bytes, and a backup must leave Reserve
// bytes free on the store's filesystem; uploads in flight count as if committed. A BACKUP over
// any of them is refused before its payload, as above.
//
// # Hostile input
//
//   - Slow clients cannot starve the others. Serve accepts up to MaxConns connections at once
//     (4,096 by default): a connection costs a goroutine and a few KiB, so thousands of stalled
//     ones are cheap, and none holds a slot for long: a request header must arrive whole within
//     HeaderTimeout, from the connection's start or from the first byte of a further request,
//     each of its reads within ReadTimeout; a kept connection may wait IdleTimeout for a further
//     request. A payload must keep MinRate either way: each MinRate×ReadTimeout bytes of a
//     BACKUP, stored or refused and drained, within ReadTimeout, each MinRate×WriteTimeout bytes
//     of a RESTORE or LIST within WriteTimeout, splice included. A client cut off
//     holds no lock and no file. Beyond MaxConns, or when the process runs out of file
//     descriptors, Serve stops accepting until connections end.
//   - Nothing is allocated from a length the client sent beyond the limits: names are at most
//     Limits.MaxName bytes, payloads stream through in constant memory.
//   - A filename is checked with wire.CheckName before any filesystem call. A BACKUP
//     with an unsafe name is answered 1003 after its payload is read and dropped (its size is
//     within the limit, and draining keeps the connection usable); RESTORE and DELETE with an
//     unsafe name answer 1001 with the name. A name_len over Limits.MaxName is refused before
//     the name is read, so there is no name to echo: every op answers 1003 and the connection
//     closes.
//   - Every request works inside its user's folder (an os.Root opened on it), which must be a
//     plain folder: a link in its place, <root>/5002 -> 4243, is refused (1003), so no user
//     reaches another's files. Only regular files are served, listed or replaced: a FIFO, a
//     device, a folder or a link planted under a name gets 1001 (RESTORE, DELETE) or 1003
//     (BACKUP) at once, and no open can block.
//   - A size over Limits.MaxPayload is answered 1003 before any payload byte is read, then the
//     connection closes. So does an unknown op, whose layout is unknown.
//   - A truncated or malformed request ends its own connection only. After an error
//     answer the server closes its side for writing and reads and drops what the client still
//     sends for up to half a second, so that a reset does not destroy the answer in flight.
//
// # Concurrency
//
// Each connection has its own goroutine. The store makes concurrent operations on one user
// behave as if run one at a time in some order: a RESTORE sends one whole version, a LIST shows
// exactly the files committed before it.
//
// # Logging
//
// Each request gives one log line, "request", with remote, user, op, name, status (the code,
// or "none" when no answer was sent), bytes (payload bytes received or sent), duration and,
// when it failed or was refused, err. Payload bytes are never logged. At startup, the store
// logs the leftover uploads it removed and whatever it left alone.
//
// # Shutdown
//
// Shutdown stops accepting, closes connections waiting for a request (new or kept) and lets
// requests in progress finish until its context ends; then it closes the rest, whose uploads are discarded.
// No temporary file is left behind.
package server
