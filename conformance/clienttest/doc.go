// Package clienttest tests any FBP client against SPEC.md, judging every request it sends
// and everything it does through the one oracle, conformance/internal/spec.
//
// It runs the client: for each scenario it
// starts a scripted server of its own on 127.0.0.1:0, lays out a fresh copy of the client's
// folder with server.info pointing at that server and backup.info naming files it makes,
// runs the client there with a time limit, and judges what it recorded: every connection's
// bytes, the client's exit, its output, its peak memory and the files it made or changed.
//
// The scenarios are ways a server may behave, or misbehave: closing after each response or
// keeping connections, cutting responses into 1-byte writes or dripping them, naming ../x or an
// absolute path in a 210, cutting a payload short, claiming sizes at the edges of the integer
// types, answering 1003 to everything, closing without an answer, stalling, listing hostile
// names or more than one read holds, reading uploads slowly, and a backup.info of paths. The cases are the
// checks, each of one requirement of SPEC §7 (and ), each judged through the spec oracle
// on the runs it needs. As in the server runner's report, failures group into problems, one
// per fault whatever the scenarios it shows in, and the report opens with them; a case that a
// problem kept from its evidence, or whose failure would only repeat it, is blocked by it.
//
// Run is the Go API; `conform client` is its command line. With Config.Listen the scenarios
// are served one per run to a client conform does not start, and only its bytes are judged.
//
// The server here never imports the reference server: it is the tester's own, scripted, and
// records everything. Two zoos of faulty clients, in Go (internal/badclients) and in Python
// (testdata/faulty_client.py), prove every case can fail.
package clienttest
