// Package servertest tests any FBP server over TCP against SPEC.md with a fixed catalog of
// cases, judging every answer through the one oracle, conformance/internal/spec.
//
// Each case has a stable ID and checks named requirements; the cases of a spec section are in
// the file named after it (cases_backup.go, cases_list.go, ...). Run runs a selection of them
// after a diagnosis (package conformance/diagnosis) and returns a report (package
// conformance/report); Test runs them as subtests of a Go test. Cases run in parallel except
// those that send bad input, which run alone with a health probe after them; a crash is
// pinned on its case, and with Config.Exec the server is restarted (package
// conformance/target) and the run goes on.
package servertest
