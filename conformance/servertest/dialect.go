package servertest

import (
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/ref/wire"
)

// anyStatus reads only the version and status of a response, whatever its code: the
// fingerprint does not yet know which layout a code has.
var anyStatus = &spec.Dialect{Name: "fingerprint",
	Codes:   map[spec.Meaning][]uint16{spec.ServerError: {210, 211, 212, 1001, 1002, 1003}},
	Layouts: map[uint16]wire.Fields{210: 0, 211: 0, 212: 0, 1001: 0, 1002: 0, 1003: 0},
}

// statusOf sends req on a fresh connection and returns the status code of the answer, and the
// reply when it is no answer.
func (t *caseRun) statusOf(label string, req []byte) (uint16, *reply) {
	r := t.roundtrip(send{label: label, head: req, noTail: true}, readSpec{dialect: anyStatus})
	if r.Outcome != endAnswered && r.Outcome != endUndefined {
		return 0, r
	}
	return r.Status, nil
}

// fingerprint asks the server for a backup, a restore, a restore of a missing file and a list
// of a fresh user, and returns the codes of the answers, or the reply that was no answer. It
// deletes what it stored.
func (t *caseRun) fingerprint() (spec.Fingerprint, *reply) {
	var fp spec.Fingerprint
	u := t.newUser()
	name := []byte("fingerprint-" + token(8))
	body := []byte("fingerprint\n")
	var failed *reply
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
		if *s.code, failed = t.statusOf(s.label, s.req); failed != nil {
			break
		}
	}
	t.run.deleteQuietly(t.ctx, u, string(name))
	return fp, failed
}
