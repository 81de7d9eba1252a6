package conformance

import (
	"context"
	"fmt"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/ref/wire"
)

// anyStatus reads only the version and status of a response, whatever its code: the
// fingerprint does not yet know which layout a code has.
var anyStatus = &spec.Dialect{Name: "fingerprint",
	Codes:   map[spec.Meaning][]uint16{spec.ServerError: {210, 211, 212, 1001, 1002, 1003}},
	Layouts: map[uint16]wire.Fields{210: 0, 211: 0, 212: 0, 1001: 0, 1002: 0, 1003: 0},
}

// statusOf sends req on a fresh connection and returns the status code of the answer.
func (t *caseRun) statusOf(label string, req []byte) (uint16, error) {
	r := t.roundtrip(send{label: label, head: req, noTail: true}, readSpec{dialect: anyStatus})
	if r.Outcome != endAnswered && r.Outcome != endUndefined {
		return 0, fmt.Errorf("%s: %s", label, r)
	}
	return r.Status, nil
}

// fingerprint asks the server for a backup, a restore, a restore of a missing file and a list
// of a fresh user, and returns the codes of the answers. It deletes what it stored.
func (t *caseRun) fingerprint() (spec.Fingerprint, error) {
	var fp spec.Fingerprint
	u := t.newUser()
	name := []byte("fingerprint-" + token(8))
	body := []byte("fingerprint\n")
	var err error
	steps := []struct {
		code  *uint16
		label string
		req   []byte
	}{
		{&fp.Backup, "BACKUP", append(backupHead(u, name, int64(len(body))), body...)},
		{&fp.Restore, "RESTORE", nameRequest(u, wire.OpRestore, name)},
		{&fp.Missing, "RESTORE missing", nameRequest(u, wire.OpRestore, []byte("missing-"+token(8)))},
		{&fp.List, "LIST", listRequest(u)},
	}
	for _, s := range steps {
		if *s.code, err = t.statusOf(s.label, s.req); err != nil {
			break
		}
	}
	deleteQuietly(t.ctx, t.run.addr, t.run.cfg.Timeout, u, string(name))
	return fp, err
}

// chooseDialect returns the configured dialect, or under "auto" the one the server's answers
// match, with a note saying what was found.
func (r *runner) chooseDialect(ctx context.Context) (*spec.Dialect, string) {
	if r.cfg.Dialect != "auto" {
		return spec.DialectByName(r.cfg.Dialect), ""
	}
	t := r.newT(ctx, &Case{ID: "dialect-fingerprint"}, spec.Canonical)
	var fp spec.Fingerprint
	var err error
	t.runFunc(func(t *caseRun) { fp, err = t.fingerprint() })
	t.cleanup()
	switch d := fp.Match(); {
	case err != nil:
		return spec.Canonical, fmt.Sprintf("auto: fingerprint failed (%v); running as canonical", err)
	case d == nil:
		return spec.Canonical, fmt.Sprintf("auto: unknown mapping %s; running as canonical", fp)
	case d == spec.Canonical:
		return d, "auto: the server follows the canonical mapping"
	default:
		return d, fmt.Sprintf("auto: dialect %s (deviates from %v); the other cases run under it", d.Name, d.Deviates)
	}
}
