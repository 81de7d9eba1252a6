package conformance

import (
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of SPEC R-4.2 (RESTORE).

func restoreCases() []*Case {
	return []*Case{
		{
			ID: "restore/exact-bytes", Reqs: reqs(spec.R4_2), Level: report.Must,
			Desc: "210 carries the requested name, the exact size and content, each file its own",
			Run: func(t *T) {
				u := t.NewUser()
				a := content.Bytes([]byte("content of a\x00\r\n\xff"))
				b := content.Drawn(3000, uint64(u))
				t.MustBackup(u, "a.dat", a)
				t.MustBackup(u, "b.dat", b)
				t.MustRestore(u, "b.dat", b)
				t.MustRestore(u, "a.dat", a)
			},
		},
		{
			ID: "restore/missing-1001", Reqs: reqs(spec.R4_2), Level: report.Must,
			Desc: "RESTORE of a name the user does not have: 1001 with the name",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "present.txt", content.Bytes([]byte("here")))
				t.MustRestoreMissing(u, "absent.txt", spec.R4_2)
			},
		},
		{
			ID: "restore/missing-new-user", Reqs: reqs(spec.R4_2), Level: report.Must,
			Desc: "RESTORE by a user who never stored anything: 1001 with the name",
			Run: func(t *T) {
				t.MustRestoreMissing(t.NewUser(), "nothing.txt", spec.R4_2)
			},
		},
	}
}
