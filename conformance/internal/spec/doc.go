// Package spec is the one place where the toolkit's testers judge against SPEC.md. The
// conformance catalog, the model tester, the network fuzzer, and every tester built after
// them, cite rules by its requirement IDs and judge answers through its functions, so that a
// rule of the spec is written once and every tester reads it the same way.
//
// It holds:
//   - the requirements, generated from ref/wire/SPEC.md (ID, Requirement), so that a failure
//     quotes the sentence it breaks;
//   - what a status means and which fields it carries, in the canonical mapping and in the
//     dialects a conformance run can detect (Meaning, Dialect);
//   - which answers a request may get whatever the server holds (JudgeAnswer), which it is
//     owed by a server whose state the tester knows (JudgeHeld; Owes and Dialect.JudgeOwed,
//     in any dialect, for a tester that set that state up), and which requirement an op, a
//     missing answer or a response layout falls under;
//   - the listing rules: its name, its lines (through wire.ListingScanner) and how a listing
//     differs from the names a user holds;
//   - quoting of names and bytes for reports.
//
// File contents the testers send come from internal/content, shared with the reference
// client's tests; the decoding of bytes is ref/wire's.
package spec
