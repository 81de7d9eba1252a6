// Package conformance tests FBP servers and clients against SPEC.md (ref/wire/SPEC.md) and
// says which requirement each one broke, with the bytes that prove it. `conform` is its
// command line; it never imports the reference server it ships as a default. A Go server's
// own tests call Test (or TestConfig); Run returns the catalog's report.
//
// The testers, each finding what the others cannot:
//
//   - conformance/servertest, the server catalog: a fixed catalog of cases with stable IDs,
//     each checking named requirements, from the status mapping and the exact layout of every
//     status to isolation, unsafe names, truncated and hostile requests. Cases run in
//     parallel except those that send bad input, which run alone with a health probe after
//     them; a crash is pinned on its case, and with Config.Exec the server is restarted and
//     the run goes on.
//   - conformance/diagnosis: probes a server before any case runs and names the root causes
//     of what is wrong with it (nothing answers, not FBP, another status mapping).
//   - conformance/clienttest: runs any client against scripted servers of its own and judges
//     every request it sends.
//   - conformance/model: random sequences of requests checked against a model of what the
//     server must hold, shrunk to a minimal script on failure; with several clients at once,
//     histories checked for linearizability.
//   - conformance/netfuzz: mutated requests (bit flips, lying lengths, truncation, splicing,
//     slow drips), every answer judged, the server's health probed after each input, every
//     finding minimized and saved as a reproducer.
//   - conformance/bench: load with every answer checked.
//
// All of them judge through one oracle, conformance/internal/spec: the requirement IDs and
// their sentences (generated from SPEC.md), what each status means and carries, which
// answers a request allows, the listing rules. A rule of the spec is written there once.
// Package conformance/target starts and supervises the server under test (-exec), checks
// that it listens and watches its memory, for every server tester. Reports are rendered by
// package conformance/report, as text, JSON (schema fbp-conformance/1) and JUnit XML.
//
// The catalog's cases are proved able to fail by two zoos of faulty servers, each server
// breaking one rule: conformance/internal/mutants, in memory, and conformance/internal/realzoo,
// a Python server on disk whose faults keep a rule half-way as course servers do (a name
// checked on one op only, a containment test by string prefix, a listing cut at a fixed
// buffer), so that a case must set up what the attack needs to reach the fault. Every case is
// killed by one of them; the client tester's zoo is conformance/clienttest/internal/badclients.
package conformance
