package servertest

import (
	"strconv"
	"strings"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
)

// Cases of SPEC R-4.1 (BACKUP) and of the filenames allows.

func backupCases() []*Case {
	return []*Case{
		must("backup/new", rules(spec.R4_1, spec.R4_2), "a new file is stored: 212 with its name, and RESTORE gives it back", backupNew),
		must("backup/overwrite", rules(spec.R4_1), "a backup of an existing name replaces the file, shorter content included, after the first version was restored", backupOverwrite),
		should("backup/zero-length", rules(spec.R4_1), "a zero-length file is a valid backup and restores as size 0", backupZeroLength),
		must("backup/all-byte-values", rules(spec.R4_1, spec.R4_2), "a payload holding every byte value 0-255, CR, LF, a CR-LF pair and NUL among them, is kept exactly", backupAllByteValues),
		must("backup/one-mib", rules(spec.R4_1, spec.R4_2), "a 1 MiB file is stored and restored exactly", backupOneMib),
		// MUST: a server may refuse a size over its limit, but a file it takes it keeps
		// whole; a cap that drops what is past it shows only on a file this large.
		must("backup/large", rules(spec.R4_1, spec.R4_2), "a large file (-large-size) is stored and restored exactly; refused with 1003 as over the limit, a file a quarter as large is tried, down to 2 MiB", backupLarge),
		nameCase("backup/name-one-char", "a filename of one character", "x"),
		nameCase("backup/name-255-chars", "a filename of 255 characters, the reference limit",
			strings.Repeat("n", 251)+".txt"),
		nameCase("backup/name-spaces", "filenames with spaces, leading and trailing ones too",
			"my file.txt", " leading", "trailing "),
		nameCase("backup/name-dots", "filenames made of or starting with dots, other than . and ..",
			".hidden", "a.b.c", "...", "trailing."),
	}
}

// backupLarge is case backup/large.
func backupLarge(t *caseRun) {
	if t.run.cfg.SkipLarge {
		t.skipf("left out by -skip-large")
	}
	u := t.newUser()
	// lets a server refuse a size over its limit. Smaller files are tried
	// then, so that a server whose limit is under -large-size still shows what it
	// does with the largest file it takes (a cap past one-mib's 1 MiB and under
	// its limit).
	var refused []string
	defer func() {
		if refused != nil {
			t.notef("the server refuses %s bytes with 1003: over its size limit", strings.Join(refused, ", "))
		}
	}()
	for _, size := range largeSizes(t.run.cfg.LargeSize) {
		c := content.Drawn(size, uint64(u)+1)
		r := t.backup(u, "large.bin", c)
		if r.is(spec.ServerError) {
			refused = append(refused, strconv.FormatInt(size, 10))
			continue
		}
		if !t.owed(r, "", spec.HoldingUnknown) {
			return
		}
		t.mustRestore(u, "large.bin", c)
		return
	}
}

// backupNew is case backup/new.
func backupNew(t *caseRun) {
	u := t.newUser()
	c := content.Bytes([]byte("hello, backup\n"))
	t.mustBackup(u, "new.txt", c)
	t.mustRestore(u, "new.txt", c)
}

// backupOverwrite is case backup/overwrite.
func backupOverwrite(t *caseRun) {
	u := t.newUser()
	first := content.Bytes([]byte(strings.Repeat("first version. ", 20)))
	t.mustBackup(u, "doc.txt", first)
	// Restored once before it is replaced: a server that caches what it restores
	// must serve the new version all the same.
	t.mustRestore(u, "doc.txt", first)
	second := content.Bytes([]byte("second"))
	t.mustBackup(u, "doc.txt", second)
	r := t.restore(u, "doc.txt", &second)
	if r.is(spec.RestoreOK) && int64(r.Size) == first.Len() {
		// The old version's size: read what it holds, the new version over the old one
		// perhaps.
		if again := t.restore(u, "doc.txt", nil); again.is(spec.RestoreOK) && again.PayloadRead {
			if v := spec.JudgeOverwrite(first.Literal, second.Literal, again.Payload); v != nil {
				t.judge(v.Req, spec.ProblemKey(v), again, v.Expected, v.Actual, true)
			}
		}
	}
	if !t.checkContent(r, spec.R4_1, "doc.txt", second) {
		t.failNow()
	}
}

// backupZeroLength is case backup/zero-length.
func backupZeroLength(t *caseRun) {
	u := t.newUser()
	t.mustBackup(u, "empty", content.Bytes(nil))
	t.mustRestoreAs(spec.R4_1, u, "empty", content.Bytes(nil))
	t.mustListAs(spec.R4_1, u, "empty")
}

// backupAllByteValues is case backup/all-byte-values.
func backupAllByteValues(t *caseRun) {
	u := t.newUser()
	var b []byte
	for i := range 512 {
		b = append(b, byte(i), byte(255-i))
	}
	// The pairs above never put CR right before LF: a server that writes in text
	// mode, folding "\r\n" into "\n", must meet one.
	b = append(b, "\r\n"...)
	t.mustBackup(u, "bytes.bin", content.Bytes(b))
	t.mustRestore(u, "bytes.bin", content.Bytes(b))
}

// backupOneMib is case backup/one-mib.
func backupOneMib(t *caseRun) {
	u := t.newUser()
	c := content.Drawn(1<<20, uint64(u))
	t.mustBackup(u, "one-mib.bin", c)
	t.mustRestore(u, "one-mib.bin", c)
}

// largeSizes are the sizes backup/large tries, largest first: max, then a quarter of it and so
// on while over 1 MiB, which backup/one-mib sends.
func largeSizes(max int64) []int64 {
	out := []int64{max}
	for s := max / 4; s > 1<<20; s /= 4 {
		out = append(out, s)
	}
	return out
}

// nameCase builds a case that stores, lists and restores files with the given valid names.
func nameCase(id, desc string, names ...string) *Case {
	return must(id, rules(spec.R1_2, spec.R4_1, spec.R4_4), desc, func(t *caseRun) {
		u := t.newUser()
		for i, n := range names {
			t.mustBackup(u, n, content.Bytes([]byte{byte('A' + i), '\n'}))
		}
		t.mustList(u, names...)
		for i, n := range names {
			t.mustRestore(u, n, content.Bytes([]byte{byte('A' + i), '\n'}))
		}
	})
}
