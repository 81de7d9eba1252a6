// Package netfuzz tests how an FBP server takes hostile input, judging every answer through the
// one oracle, conformance/internal/spec.
//
// It fuzzes the server over the network: it sends mutated requests, judges every answer, checks after each input that the server still serves, and shrinks
// and saves every finding as a reproducer. `conform fuzz` is its command line.
//
// # Use
//
//	res, err := netfuzz.Run(ctx, netfuzz.Config{Addr: "127.0.0.1:9000", Seed: 1, Duration: time.Minute,
//		OutDir: "fuzz-findings", Restart: restart, Log: os.Stderr})
//	res.WriteText(os.Stdout) // or res.WriteJSON(os.Stdout) for CI
//
// A command maps the result to its exit status: an error wrapping ErrConfig is a usage error
// (2), one wrapping ErrUnreachable means the server could not be reached at the start (3),
// res.Found() is 1, and 0 otherwise. Run refuses a non-loopback target unless
// Config.AllowRemote says the host is the user's own.
//
// # Inputs
//
// The starting corpus is the golden vectors' valid requests (package vectors). Each input is
// one of them with one to three mutations (bit flips, interesting byte values, a lying
// name_len or size, another or an unknown op, truncation at a field boundary or anywhere, two
// inputs spliced or concatenated, a huge declared size with a few bytes behind), sent on a
// fresh connection in one of several ways (Delivery): one write, split writes with pauses, a
// slow drip of single bytes; then the write side is closed (EndCloseWrite), left open
// (EndStall), or the connection is reset (EndAbort). A math/rand/v2 PCG source seeded from
// Config.Seed draws every choice, so a seed always gives the same sequence of inputs.
//
// # Oracle
//
// The input is decoded with ref/wire the way a server decodes it: a run of complete requests,
// then possibly a tail that is truncated or carries an unknown op. The bytes that come back must
// decode as one response per request, in order, each with a status the spec allows for that
// request (the filename echoed where SPEC §3 says so, 1003 always allowed), and nothing after
// them. The server MAY close after any response, so only the first request is owed an
// answer; a truncated one is owed none. Everything is judged conservatively: a reset
// may have cost data in flight, so nothing missing is held against the server after one, and
// a response cut short by the fuzzer's own read bound is not judged. A malformed response
// (an unknown status, trailing bytes, a response cut short by a close) cites, the ID the
// conformance runner gives SPEC §3's layout, or for a status written big-endian.
//
// After each input a health probe (LIST of a fresh random user on a new connection) must be
// answered within Config.Timeout: a refused connection is a crash, silence a hang. Either is
// held against R-5.3 (the server MUST NOT crash and MUST keep serving) unless the answer to the
// input itself broke a requirement, which is then named. A server that fails the probe before
// any input cannot be judged for health: that failure is reported as the finding of step 0,
// with the probe's LIST as its input, and the run ends.
//
// # Findings and reproducers
//
// A Finding carries a report.Finding, as every tester reports one: the requirement broken, the
// check of the oracle that caught it, expected against actual, the input as first sent with its
// answer, and the input where it was seen.
//
// A finding is shrunk (simpler delivery, shorter name or size with its length field told,
// chunks dropped, bytes zeroed) while the same finding
// (kind, requirement, check) reproduces; crashes and hangs need Config.Restart between attempts.
// Findings are grouped by fault: a minimized input that gets no finding at all when sent in one
// write shows a server that takes what one read returns for a whole request, the catalog's
// reads-request-in-one-read, whatever rule its answer in pieces broke. That is one finding,
// named by the fault; every later one that shows it counts as a repeat.
// Each is saved under Config.OutDir/<finding-id>/:
//
//	input.bin                                   the minimized input's raw bytes
//	original.bin                                the input as first sent
//	finding.json                                the Finding: seed, delivery, detail, replay command
//	testdata/fuzz/FuzzParseRequest/<hash>       the input as a `go test fuzz v1` corpus file
//
// The corpus tree can be copied onto fuzz/ so that the decoder fuzz targets run the input. The
// replay command is `conform replay <dir>/finding.json -addr ADDR`, ADDR being
// Config.ReplayAddr (a placeholder for a target that dies with the run); LoadInput reads a
// finding.json or a raw file and ReplayInput sends it again.
package netfuzz
