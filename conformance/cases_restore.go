package conformance

// Cases of SPEC R-4.2 (RESTORE).

func restoreCases() []*Case {
	return []*Case{
		{
			ID: "restore/exact-bytes", Reqs: reqs("R-4.2"), Level: Must,
			Desc: "210 carries the requested name, the exact size and content, each file its own",
			Run: func(t *T) {
				u := t.NewUser()
				a := Bytes([]byte("content of a\x00\r\n\xff"))
				b := Generated(3000, uint64(u))
				t.MustBackup(u, "a.dat", a)
				t.MustBackup(u, "b.dat", b)
				t.MustRestore(u, "b.dat", b)
				t.MustRestore(u, "a.dat", a)
			},
		},
		{
			ID: "restore/missing-1001", Reqs: reqs("R-4.2"), Level: Must,
			Desc: "RESTORE of a name the user does not have: 1001 with the name",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "present.txt", Bytes([]byte("here")))
				t.MustRestoreMissing(u, "absent.txt", "R-4.2")
			},
		},
		{
			ID: "restore/missing-new-user", Reqs: reqs("R-4.2"), Level: Must,
			Desc: "RESTORE by a user who never stored anything: 1001 with the name",
			Run: func(t *T) {
				t.MustRestoreMissing(t.NewUser(), "nothing.txt", "R-4.2")
			},
		},
	}
}
