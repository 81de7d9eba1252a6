package conformance

// Cases of SPEC R-4.3 (DELETE).

func deleteCases() []*Case {
	return []*Case{
		{
			ID: "delete/then-restore-1001", Reqs: reqs("R-4.3", "R-4.2"), Level: Must,
			Desc: "DELETE answers 212 with the name; a RESTORE after it answers 1001",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "gone.txt", Bytes([]byte("soon gone")))
				t.MustDelete(u, "gone.txt")
				t.MustRestoreMissing(u, "gone.txt", "R-4.3")
			},
		},
		{
			ID: "delete/missing-1001", Reqs: reqs("R-4.3"), Level: Must,
			Desc: "DELETE of a name the user does not have: 1001 with the name",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "present.txt", Bytes([]byte("here")))
				if r := t.Delete(u, "absent.txt"); !t.Expect(r, "R-4.3", []byte("absent.txt"), DeleteNotFound) {
					return
				}
				r := t.Delete(t.NewUser(), "absent.txt")
				t.Expect(r, "R-4.3", []byte("absent.txt"), DeleteNotFound)
			},
		},
		{
			ID: "delete/twice-1001", Reqs: reqs("R-4.3"), Level: Must,
			Desc: "a second DELETE of the same file answers 1001",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "twice.txt", Bytes([]byte("x")))
				t.MustDelete(u, "twice.txt")
				r := t.Delete(u, "twice.txt")
				t.Expect(r, "R-4.3", []byte("twice.txt"), DeleteNotFound)
			},
		},
		{
			ID: "delete/keeps-others", Reqs: reqs("R-4.3"), Level: Must,
			Desc: "DELETE removes that file only: the user's other files stay intact",
			Run: func(t *T) {
				u := t.NewUser()
				keep := Bytes([]byte("keep me"))
				t.MustBackup(u, "keep.txt", keep)
				t.MustBackup(u, "drop.txt", Bytes([]byte("drop me")))
				t.MustDelete(u, "drop.txt")
				t.MustRestore(u, "keep.txt", keep)
				t.MustList(u, "keep.txt")
			},
		},
	}
}
