package conformance

import (
	"strings"
)

// Cases of SPEC R-4.1 (BACKUP) and of the filenames allows.

func backupCases() []*Case {
	return []*Case{
		{
			ID: "backup/new", Reqs: reqs("R-4.1", "R-4.2"), Level: Must,
			Desc: "a new file is stored: 212 with its name, and RESTORE gives it back",
			Run: func(t *T) {
				u := t.NewUser()
				c := Bytes([]byte("hello, backup\n"))
				t.MustBackup(u, "new.txt", c)
				t.MustRestore(u, "new.txt", c)
			},
		},
		{
			ID: "backup/overwrite", Reqs: reqs("R-4.1"), Level: Must,
			Desc: "a backup of an existing name replaces the file, shorter content included",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "doc.txt", Bytes([]byte(strings.Repeat("first version. ", 20))))
				second := Bytes([]byte("second"))
				t.MustBackup(u, "doc.txt", second)
				t.MustRestore(u, "doc.txt", second)
			},
		},
		{
			ID: "backup/zero-length", Reqs: reqs("R-4.1"), Level: Should,
			Desc: "a zero-length file is a valid backup and restores as size 0",
			Run: func(t *T) {
				u := t.NewUser()
				t.MustBackup(u, "empty", Bytes(nil))
				t.MustRestore(u, "empty", Bytes(nil))
				t.MustList(u, "empty")
			},
		},
		{
			ID: "backup/all-byte-values", Reqs: reqs("R-4.1", "R-4.2"), Level: Must,
			Desc: "a payload holding every byte value 0-255, CR, LF, a CR-LF pair and NUL among them, is kept exactly",
			Run: func(t *T) {
				u := t.NewUser()
				var b []byte
				for i := range 512 {
					b = append(b, byte(i), byte(255-i))
				}
				// The pairs above never put CR right before LF: a server that writes in text
				// mode, folding "\r\n" into "\n", must meet one.
				b = append(b, "\r\n"...)
				t.MustBackup(u, "bytes.bin", Bytes(b))
				t.MustRestore(u, "bytes.bin", Bytes(b))
			},
		},
		{
			ID: "backup/one-mib", Reqs: reqs("R-4.1", "R-4.2"), Level: Must,
			Desc: "a 1 MiB file is stored and restored exactly",
			Run: func(t *T) {
				u := t.NewUser()
				c := Generated(1<<20, uint64(u))
				t.MustBackup(u, "one-mib.bin", c)
				t.MustRestore(u, "one-mib.bin", c)
			},
		},
		{
			ID: "backup/large", Reqs: reqs("R-4.1", "R-4.2"), Level: Should,
			Desc: "a large file (-large-size) is stored and restored exactly, or refused with 1003 as over the limit",
			Run: func(t *T) {
				if t.run.cfg.SkipLarge {
					t.Skipf("left out by -skip-large")
				}
				u := t.NewUser()
				c := Generated(t.run.cfg.LargeSize, uint64(u)+1)
				r := t.Backup(u, "large.bin", c)
				if r.is(ServerError) {
					// lets a server refuse a size over its limit.
					t.Notef("the server refuses %d bytes with %d: over its size limit", c.Len(), r.Status)
					return
				}
				if !t.Expect(r, "R-4.1", []byte("large.bin"), BackupOK) {
					return
				}
				t.MustRestore(u, "large.bin", c)
			},
		},
		nameCase("backup/name-one-char", "a filename of one character", "x"),
		nameCase("backup/name-255-chars", "a filename of 255 characters, the reference limit",
			strings.Repeat("n", 251)+".txt"),
		nameCase("backup/name-spaces", "filenames with spaces, leading and trailing ones too",
			"my file.txt", " leading", "trailing "),
		nameCase("backup/name-dots", "filenames made of or starting with dots, other than . and ..",
			".hidden", "a.b.c", "...", "trailing."),
	}
}

// nameCase builds a case that stores, lists and restores files with the given valid names.
func nameCase(id, desc string, names ...string) *Case {
	return &Case{
		ID: id, Reqs: reqs("R-1.2", "R-4.1", "R-4.4"), Level: Must, Desc: desc,
		Run: func(t *T) {
			u := t.NewUser()
			for i, n := range names {
				t.MustBackup(u, n, Bytes([]byte{byte('A' + i), '\n'}))
			}
			t.MustList(u, names...)
			for i, n := range names {
				t.MustRestore(u, n, Bytes([]byte{byte('A' + i), '\n'}))
			}
		},
	}
}
