// Package model tests what an FBP server holds, with random sequences of requests checked
// against a model, judging every answer through the one oracle, conformance/internal/spec.
//
// It is a model-based random tester: it finds the stateful bugs no fixed catalog thought of,
// on any server reachable over TCP.
//
// Run drives random sequences of BACKUP, RESTORE, DELETE and LIST over a few users, a few
// names (overwrites included) and payloads of varied sizes, and checks every response against
// an in-memory model of what the server must hold: status, filename, exact content, exact
// listing, under the canonical status mapping of SPEC §3. The sequences are a
// github.com/leanovate/gopter/commands state machine; on a failure gopter shrinks the sequence
// to a minimal one, which Result.Script holds and FormatScript prints, one step a line:
//
//  1. user A BACKUP "a" (1 byte) -> 212 "a"
//  2. user A LIST -> 211 ["a"]
//  3. user A DELETE "a" -> 212 "a"
//  4. user A LIST -> 211 ["a"]   want 1002  
//
// Result.Failure is a report.Finding, as every tester reports one: the requirement broken, the
// check that caught it, the expected and the actual response, the exchange with its bytes, and
// the step where it was seen. Result.Replay is the failure as a value that WriteReplay saves as a
// small versioned JSON file (a payload is a length and a seed, or hex for one written by
// hand) and Replay re-runs. A run is reproduced by its seed, which Config.Log's first line and
// Result.Seed always give; the users are not part of it: every sequence, every shrink attempt
// and every replay draws fresh random user ids, so a live server's old data never leaks into a
// run. A server that stops answering is restarted through Config.Restart, when given, before
// the next sequence or shrink attempt, so that shrinking meets a live server. A cancelled
// context ends a run promptly, with the failure found so far, if any.
//
// With Config.Concurrent, several clients run random sequences at once on shared names of
// shared users; the recorded history (call and return times, results) of each user is checked
// for linearizability against the same model with github.com/anishathalye/porcupine. That
// finds torn restores, lost updates and stale lists that no sequential run sees. A failing
// round is shrunk too, by dropping clients and steps while some of Config.ShrinkTries reruns
// still fail; Failure.History lists the failing user's operations with client and times, and
// Config.Visualization receives porcupine's HTML view.
//
// The package talks to the server with the wire codec alone: one fresh TCP connection per
// request, a deadline on every dial, read and write, and reads bounded by the run's own
// limits, never by a size the server states.
//
// A command line wraps it as
//
//	res, err := model.Run(ctx, model.Config{Addr: addr, Seed: seed, Log: os.Stderr})
//	// res.Failed: print model.FormatScript(res.Script) and res.Failure, then
//	// model.WriteReplay(file, res.Replay)
//
// and re-runs a saved failure with model.ReadReplay and model.Replay(ctx, addr, rf, timeout).
package model
