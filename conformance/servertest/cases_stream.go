package servertest

import (
	"fmt"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of how a server reads its byte stream that the run's workarounds would otherwise hide:
// the diagnosis finds these faults, and these cases are aimed at them, so that each is a
// failure of a case of its rule as well as a problem of the report.

func streamCases() []*Case {
	return []*Case{
		must("transport/backup-one-write", rules(spec.R1_1), "a BACKUP whose header and payload come in one write is served: one read may hold both, TCP is a stream", transportBackupOneWrite).with(ownSteps, aimsAt(diagnosis.KeySplitBackup)),
		must("security/refused-payload-not-served", rules(spec.R2_3), "the payload of a BACKUP refused for its name is read and dropped, never served as a request: a BACKUP hidden in it stores nothing", securityRefusedPayloadNotServed).with(hostile, aimsAt(diagnosis.KeySmuggling)),
	}
}

// transportBackupOneWrite is case transport/backup-one-write.
func transportBackupOneWrite(t *caseRun) {
	if t.run.diagFinding(diagnosis.KeySplitBackup) != nil {
		// The fault the diagnosis found, seen again: not a BACKUP the server never
		// answers.
		t.noAnswerAs = problemAs{spec.R1_1, diagnosis.KeySplitBackup}
	}
	u := t.newUser()
	c := content.Bytes([]byte("header and payload in one write"))
	head := append(backupHead(u, []byte("one-write"), c.Len()), c.Literal...)
	r := t.roundtrip(send{label: fmt.Sprintf("BACKUP user %d \"one-write\", header and payload in one write", u), head: head, oneWrite: true}, readSpec{})
	if r.statusIs(spec.BackupOK) {
		t.setStored(u, "one-write", true)
	}
	if !t.owed(r, spec.R1_1, spec.HoldingUnknown) {
		return
	}
	t.mustRestoreAs(spec.R1_1, u, "one-write", c)
}

// securityRefusedPayloadNotServed is case security/refused-payload-not-served.
func securityRefusedPayloadNotServed(t *caseRun) {
	a, v := t.newUser(), t.newUser()
	inner := append(backupHead(v, []byte("smuggled"), 1), 'x')
	outer := append(backupHead(a, []byte("fbp/smuggle"), int64(len(inner))), inner...)
	c := t.mustDial()
	r := c.do(fmt.Sprintf("BACKUP user %d \"fbp/smuggle\" whose payload is a BACKUP by user %d", a, v), outer)
	if r.statusIs(spec.BackupOK) {
		// Nothing was refused: what asks of a refused payload cannot be seen.
		t.setStored(a, "fbp/smuggle", true)
		t.owed(r, "", spec.HoldingUnknown)
		t.failNow()
	}
	next := c.do(fmt.Sprintf("LIST user %d on the same connection", v), listRequest(v))
	smuggled := next.statusIs(spec.BackupOK) && string(next.Name) == "smuggled"
	c.close()
	if smuggled {
		t.setStored(v, "smuggled", true)
		t.judge(spec.R2_3, diagnosis.KeySmuggling, next, fmt.Sprintf("the answer to the LIST of user %d (or a close)", v),
			"the answer to the BACKUP inside the refused payload: "+next.String(), false)
		return
	}
	// A request served from the payload whose answer did not show stored its file
	// all the same.
	t.mustListAs(spec.R2_3, v)
}
