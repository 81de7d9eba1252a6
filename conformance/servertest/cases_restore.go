package servertest

import (
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of SPEC R-4.2 (RESTORE).

func restoreCases() []*Case {
	return []*Case{
		must("restore/exact-bytes", rules(spec.R4_2), "210 carries the requested name, the exact size and content, each file its own", restoreExactBytes),
		must("restore/missing-1001", rules(spec.R4_2), "RESTORE of a name the user does not have: 1001 with the name", restoreMissing1001),
		must("restore/missing-new-user", rules(spec.R4_2), "RESTORE by a user who never stored anything: 1001 with the name", restoreMissingNewUser),
	}
}

// restoreExactBytes is case restore/exact-bytes.
func restoreExactBytes(t *caseRun) {
	u := t.newUser()
	a := content.Bytes([]byte("content of a\x00\r\n\xff"))
	b := content.Drawn(3000, uint64(u))
	t.mustBackup(u, "a.dat", a)
	t.mustBackup(u, "b.dat", b)
	t.mustRestore(u, "b.dat", b)
	t.mustRestore(u, "a.dat", a)
}

// restoreMissing1001 is case restore/missing-1001.
func restoreMissing1001(t *caseRun) {
	u := t.newUser()
	t.mustBackup(u, "present.txt", content.Bytes([]byte("here")))
	t.mustRestoreMissing(u, "absent.txt", spec.R4_2)
}

// restoreMissingNewUser is case restore/missing-new-user.
func restoreMissingNewUser(t *caseRun) {
	t.mustRestoreMissing(t.newUser(), "nothing.txt", spec.R4_2)
}
