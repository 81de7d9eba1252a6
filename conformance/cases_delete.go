package conformance

import (
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of SPEC R-4.3 (DELETE).

func deleteCases() []*Case {
	return []*Case{
		{
			ID: "delete/then-restore-1001", Reqs: reqs(spec.R4_3, spec.R4_2), Level: report.Must,
			Desc: "DELETE answers 212 with the name; a RESTORE after it answers 1001",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "gone.txt", content.Bytes([]byte("soon gone")))
				t.MustDelete(u, "gone.txt")
				t.MustRestoreMissing(u, "gone.txt", spec.R4_3)
			},
		},
		{
			ID: "delete/missing-1001", Reqs: reqs(spec.R4_3), Level: report.Must,
			Desc: "DELETE of a name the user does not have: 1001 with the name",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "present.txt", content.Bytes([]byte("here")))
				if r := t.Delete(u, "absent.txt"); !t.Expect(r, spec.R4_3, []byte("absent.txt"), spec.DeleteNotFound) {
					return
				}
				r := t.Delete(t.NewUser(), "absent.txt")
				t.Expect(r, spec.R4_3, []byte("absent.txt"), spec.DeleteNotFound)
			},
		},
		{
			ID: "delete/twice-1001", Reqs: reqs(spec.R4_3), Level: report.Must,
			Desc: "a second DELETE of the same file answers 1001",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "twice.txt", content.Bytes([]byte("x")))
				t.MustDelete(u, "twice.txt")
				r := t.Delete(u, "twice.txt")
				t.Expect(r, spec.R4_3, []byte("twice.txt"), spec.DeleteNotFound)
			},
		},
		{
			ID: "delete/keeps-others", Reqs: reqs(spec.R4_3), Level: report.Must,
			Desc: "DELETE removes that file only: the user's other files stay intact",
			Run: func(t *T) {
				u := t.NewUser()
				keep := content.Bytes([]byte("keep me"))
				t.MustBackup(u, "keep.txt", keep)
				t.MustBackup(u, "drop.txt", content.Bytes([]byte("drop me")))
				t.MustDelete(u, "drop.txt")
				t.MustRestore(u, "keep.txt", keep)
				t.MustList(u, "keep.txt")
			},
		},
	}
}
