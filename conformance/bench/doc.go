// Package bench tests an FBP server under load, judging every answer through the one oracle,
// conformance/internal/spec (conform bench).
//
// N clients draw requests from an op mix, each on its own connection or a kept one, for a
// duration or a count, at one or several numbers of clients. Every answer is judged through
// the spec oracle: its status must be one the request allows and name the request's file; a
// RESTORE must return a whole version the client stored, and a LIST exactly the client's names;
// a RESTORE or DELETE of a file the client knows is missing is owed 1001, and a 1003 for it is a
// wrong status, not a server error. Each answer that breaks a rule is a report.Finding, and
// the findings group into the report's problems, as every tester's do.
// Each stored file names its own version in a 20-byte header, and its other bytes are drawn
// from that version's seed, so a torn or mixed file cannot pass for a version: with Shared,
// where clients back up and restore the same names, any whole version some client sent is
// right and nothing else is. Only right answers count as throughput; the rest are errors by
// kind.
//
// The report explains its figures: a probe finds how many connections the server serves at
// once (latency past that is waiting to be accepted), a sweep says where errors start, a
// second server measured in alternate rounds gives a ratio with its spread, and baselines of
// the machine (loopback TCP carrying the same bytes; the same ops on the local disk, a BACKUP
// written durably and atomically) give the server's figures as fractions of what the machine
// allows, measured in the same run.
package bench
