package servertest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
)

// rootWatch checks the server's storage folder: every file in a user's folder must be one the
// user stored (or a listing file the server named), and nothing may appear outside the users'
// folders.
type rootWatch struct {
	dir    string
	wait   time.Duration   // how long a server has to remove an abandoned upload's file
	before map[string]bool // entries of dir and of its parent when the run began
}

func newRootWatch(dir string) (*rootWatch, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// Created here, a mistyped folder would be watched empty while the server writes
		// elsewhere, and every check of it would pass.
		return nil, fmt.Errorf("-root %s: no such folder: give the folder your server stores its files in, created before the run", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("-root: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("-root: %s is not a folder", dir)
	}
	w := &rootWatch{dir: dir, before: map[string]bool{}, wait: leftoverWait}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			w.before[filepath.Join(d, e.Name())] = true
		}
	}
	return w, nil
}

// maxWalk bounds the entries one check looks at, so a huge storage folder cannot stall a run.
const maxWalk = 100000

func (w *rootWatch) check(t *caseRun) {
	t.mu.Lock()
	users := append([]uint32(nil), t.users...)
	canaries := append([]string(nil), t.canaries...)
	t.mu.Unlock()
	req := spec.R5_3
	if !t.c.Hostile {
		req = spec.R4_4
	}
	for _, u := range users {
		dir := filepath.Join(w.dir, strconv.FormatUint(uint64(u), 10))
		// A server may take a moment to remove an abandoned upload's file after the connection
		// closed: only what is still there after leftoverWait is a leftover.
		var extra []string
		for deadline := time.Now().Add(w.wait); ; time.Sleep(20 * time.Millisecond) {
			extra = w.unexpected(t, u, dir)
			if len(extra) == 0 || time.Now().After(deadline) {
				break
			}
		}
		for _, n := range extra {
			key := string(req) + "|leftover"
			if !t.run.wasSent(n) {
				// A file no request named is the server's own, whichever case finds it.
				key = string(req) + "|" + leftoverOwn
			}
			t.judge(req, key, nil, fmt.Sprintf("%s to hold only what user %d stored", dir, u),
				fmt.Sprintf("%s is still there (a partial upload, a temporary file or a file of another user)", spec.Quote([]byte(n))), false)
		}
	}
	// Files outside every user's folder.
	ents, _ := os.ReadDir(w.dir)
	for _, e := range ents {
		p := filepath.Join(w.dir, e.Name())
		if _, err := strconv.ParseUint(e.Name(), 10, 32); (err == nil && e.IsDir()) || w.before[p] {
			continue
		}
		t.judge(spec.R5_1, string(spec.R5_1)+"|escaped", nil, "only user folders in "+w.dir, p+" appeared", false)
		w.before[p] = true // report it once
	}
	if len(canaries) == 0 {
		return
	}
	parent := filepath.Dir(w.dir)
	pents, _ := os.ReadDir(parent)
	for _, e := range pents {
		p := filepath.Join(parent, e.Name())
		if !w.before[p] && containsAny(e.Name(), canaries) {
			t.judge(spec.R5_1, string(spec.R5_1)+"|escaped", nil, "no file outside "+w.dir, p+" appeared", false)
		}
	}
	n := 0
	filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if n++; n > maxWalk || err != nil {
			return filepath.SkipAll
		}
		if d.IsDir() || !containsAny(d.Name(), canaries) {
			return nil
		}
		// A canary belongs in the folder of the user who stored it under that name.
		rel, _ := filepath.Rel(w.dir, p)
		user, name, _ := strings.Cut(rel, string(filepath.Separator))
		u, err := strconv.ParseUint(user, 10, 32)
		if err == nil && !strings.Contains(name, string(filepath.Separator)) && t.hasStored(uint32(u), name) {
			return nil
		}
		t.judge(spec.R5_1, string(spec.R5_1)+"|escaped", nil, "each file inside the folder of the user who stored it", p+" appeared", false)
		return nil
	})
}

// leftoverWait is how long a server has to remove an abandoned upload's file.
const leftoverWait = time.Second

// unexpected lists the entries of user u's folder that u did not store and that are not
// listing files the server named.
func (w *rootWatch) unexpected(t *caseRun, u uint32, dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil // no folder: nothing stored, nothing left over
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, e := range ents {
		if !t.stored[u][e.Name()] && !t.listNames[u][e.Name()] {
			out = append(out, e.Name())
		}
	}
	return out
}

func (t *caseRun) hasStored(u uint32, name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stored[u][name]
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
