package servertest

import (
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of SPEC R-4.3 (DELETE).

func deleteCases() []*Case {
	return []*Case{
		must("delete/then-restore-1001", rules(spec.R4_3, spec.R4_2), "DELETE answers 212 with the name; a RESTORE after it answers 1001, though one before it found the file", deleteThenRestore1001),
		must("delete/missing-1001", rules(spec.R4_3), "DELETE of a name the user does not have: 1001 with the name", deleteMissing1001),
		must("delete/twice-1001", rules(spec.R4_3), "a second DELETE of the same file answers 1001", deleteTwice1001),
		must("delete/keeps-others", rules(spec.R4_3), "DELETE removes that file only: the user's other files stay intact", deleteKeepsOthers),
	}
}

// deleteThenRestore1001 is case delete/then-restore-1001.
func deleteThenRestore1001(t *caseRun) {
	u := t.newUser()
	c := content.Bytes([]byte("soon gone"))
	t.mustBackup(u, "gone.txt", c)
	// Restored before the DELETE: a server that caches what it restores must
	// forget it.
	t.mustRestore(u, "gone.txt", c)
	t.mustDelete(u, "gone.txt")
	t.mustRestoreMissing(u, "gone.txt", spec.R4_3)
}

// deleteMissing1001 is case delete/missing-1001.
func deleteMissing1001(t *caseRun) {
	u := t.newUser()
	t.mustBackup(u, "present.txt", content.Bytes([]byte("here")))
	if r := t.delete(u, "absent.txt"); !t.owed(r, "", spec.HoldingMissing) {
		return
	}
	r := t.delete(t.newUser(), "absent.txt")
	t.owed(r, "", spec.HoldingMissing)
}

// deleteTwice1001 is case delete/twice-1001.
func deleteTwice1001(t *caseRun) {
	u := t.newUser()
	t.mustBackup(u, "twice.txt", content.Bytes([]byte("x")))
	t.mustDelete(u, "twice.txt")
	r := t.delete(u, "twice.txt")
	t.owed(r, "", spec.HoldingMissing)
}

// deleteKeepsOthers is case delete/keeps-others.
func deleteKeepsOthers(t *caseRun) {
	u := t.newUser()
	keep := content.Bytes([]byte("keep me"))
	t.mustBackup(u, "keep.txt", keep)
	t.mustBackup(u, "drop.txt", content.Bytes([]byte("drop me")))
	t.mustDelete(u, "drop.txt")
	t.mustRestoreAs(spec.R4_3, u, "keep.txt", keep)
	t.mustListAs(spec.R4_3, u, "keep.txt")
}
