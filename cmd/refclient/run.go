package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/wire"
)

// script is the exercise's scripted run (SPEC §6): LIST, BACKUP file 1, BACKUP file 2, LIST,
// RESTORE file 1 saved as tmp, DELETE file 1, RESTORE file 1 again, which must find nothing.
// It stops at the first network or protocol failure: what follows would only repeat it.
func (c *cli) script(args []string) int {
	if len(args) != 0 {
		return c.usageFail(wrongArgs("run", args, "unexpected arguments %q: run takes none (the folder goes after -dir: refclient run -dir DIR)", args))
	}
	dir := c.runDir
	// The run is the exercise's: its server is the one server.info names, unless -addr says.
	if c.g.addr == "" {
		if _, err := os.Stat(c.path(filepath.Join(dir, "server.info"))); errors.Is(err, os.ErrNotExist) {
			return c.usageFail(cliargs.Usagef("no server.info in %s: it holds one line, the server's host:port (127.0.0.1:1234), or -addr gives it", c.shown(dir)))
		}
	}
	paths, err := c.readBackupInfo(dir)
	if err != nil {
		return c.usageFail(err)
	}
	var names [2]string
	for i, p := range paths {
		if names[i], err = c.checkLocalFile(p); err != nil {
			return c.usageFail(err)
		}
	}
	if names[0] == names[1] {
		return c.usageFail(cliargs.Usagef("backup.info: %s and %s would both be stored as %s", paths[0], paths[1], names[0]))
	}
	cl, err := c.connect(dir)
	if err != nil {
		return c.usageFail(err)
	}
	defer cl.Close()
	user, random := c.user()
	if !c.jsonOut() {
		how := ""
		if random {
			how = ", a random id"
		}
		fmt.Fprintf(c.stdout, "user %d%s, server %s\n", user, how, cl.Addr())
	}

	tmp := filepath.Join(dir, "tmp")
	steps := []func() *result{
		func() *result {
			r := c.doList(cl, user)
			if r.OK && len(r.Files) == 0 {
				r.text += " yet"
			}
			return r
		},
		func() *result { return c.doBackup(cl, user, paths[0], names[0]) },
		func() *result { return c.doBackup(cl, user, paths[1], names[1]) },
		func() *result { return c.doList(cl, user) },
		func() *result {
			r := c.doRestore(cl, user, names[0], tmp)
			if r.OK {
				c.checkRestored(r, paths[0])
			}
			return r
		},
		func() *result { return c.doDelete(cl, user, names[0]) },
		func() *result {
			r := c.doRestore(cl, user, names[0], tmp)
			expectGone(r)
			return r
		},
	}
	var done []*result
	code := exitOK
	for _, step := range steps {
		r := step()
		done = append(done, r)
		code = max(code, r.code)
		if !c.jsonOut() {
			fmt.Fprintln(c.stdout, r.text)
		}
		if r.code == exitFailure {
			break
		}
	}
	if c.jsonOut() {
		c.emit(done)
	} else if code != exitOK {
		fmt.Fprintf(c.stderr, "refclient: run: %d of %d steps went wrong\n", countFailed(done), len(steps))
	}
	return code
}

func countFailed(rs []*result) int {
	n := 0
	for _, r := range rs {
		if !r.OK {
			n++
		}
	}
	return n
}

// readBackupInfo returns the first two files backup.info lists, one per line.
func (c *cli) readBackupInfo(dir string) ([2]string, error) {
	var paths [2]string
	info := filepath.Join(dir, "backup.info")
	b, err := os.ReadFile(c.path(info))
	if errors.Is(err, os.ErrNotExist) {
		return paths, cliargs.Usagef("no backup.info in %s: it lists the files to back up, one name per line; the run backs up the first two", c.shown(dir))
	}
	if err != nil {
		return paths, cliargs.Usagef("reading %v", err)
	}
	var entries []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" {
			entries = append(entries, line)
		}
	}
	if len(entries) < 2 {
		return paths, cliargs.Usagef("%s lists %s; the run backs up two, named one per line", info, words.Count(len(entries), "file"))
	}
	for i := range paths {
		paths[i] = entries[i]
		if !filepath.IsAbs(paths[i]) {
			paths[i] = filepath.Join(dir, paths[i])
		}
	}
	return paths, nil
}

// shown is a folder as a message names it: absolute, so that "." says where the run looked.
func (c *cli) shown(dir string) string {
	if abs, err := filepath.Abs(c.path(dir)); err == nil {
		return abs
	}
	return dir
}

// checkRestored makes the step fail if tmp is not the file that was backed up.
func (c *cli) checkRestored(r *result, original string) {
	same, err := sameContent(c.path(original), c.path(r.Path))
	switch {
	case err != nil:
		r.OK, r.code, r.Error = false, exitFailure, fmt.Sprintf("comparing %s with %s: %v", r.Path, original, err)
	case !same:
		r.OK, r.code, r.Error = false, exitFailure, fmt.Sprintf("the restored %s differs from %s", r.Path, original)
	default:
		r.text += ", same as " + original
		return
	}
	r.text += ": " + r.Error
}

// expectGone turns the last RESTORE around: after DELETE, 1001 is the right answer.
func expectGone(r *result) {
	switch {
	case r.Status == int(wire.StatusNotExist):
		r.OK, r.code, r.Error = true, exitOK, ""
		r.text += ", as expected after DELETE"
	case r.OK:
		r.OK, r.code = false, exitFailure
		r.Error = fmt.Sprintf("the server restored %s after DELETE answered 212; it should answer 1001", r.Name)
		r.text += ", but DELETE should have removed it"
	}
}

// sameContent compares two files without holding either in memory.
func sameContent(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, errA := io.ReadFull(fa, bufA)
		nb, errB := io.ReadFull(fb, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		endA := errors.Is(errA, io.EOF) || errors.Is(errA, io.ErrUnexpectedEOF)
		endB := errors.Is(errB, io.EOF) || errors.Is(errB, io.ErrUnexpectedEOF)
		switch {
		case errA != nil && !endA:
			return false, errA
		case errB != nil && !endB:
			return false, errB
		case endA || endB:
			return endA == endB, nil
		}
	}
}
