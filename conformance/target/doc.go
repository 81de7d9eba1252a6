// Package target is the server under test as every server tester meets it: the -exec
// supervisor that starts it on a free port, restarts it after a crash and stops it with what
// it started (StartServer), the check that something listens where it should (Reach), the one
// health probe (Probe: a LIST of a fresh user, does it answer at all), and its processes'
// memory (Procs). It judges nothing: the testers judge through
// conformance/internal/spec.
package target
