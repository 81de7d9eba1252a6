package clienttest

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
)

// Bounds of the client's folder, copied for every scenario: a client's own folder is small, and
// one that is not is most likely the wrong folder.
const (
	maxCopyBytes = 64 << 20
	maxCopyFiles = 5000
)

// leftOut are the top-level entries of the client's folder a scenario's copy does without:
// conform writes the first two, and tmp is what the client must write.
var leftOut = []string{".git", "server.info", "backup.info", "tmp"}

// checkFolder checks, once before the run, that dir can be copied for every scenario.
func checkFolder(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	var size int64
	files := 0
	return walkCopied(dir, func(rel string, d fs.DirEntry) error {
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			size += info.Size()
		}
		if files++; files > maxCopyFiles || size > maxCopyBytes {
			return fmt.Errorf("%s holds over %d files or %d MiB: point -dir at the client's own folder", dir, maxCopyFiles, maxCopyBytes>>20)
		}
		return nil
	})
}

// walkCopied walks what a copy of dir holds, leftOut aside.
func walkCopied(dir string, f func(rel string, d fs.DirEntry) error) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		if slices.Contains(leftOut, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return f(rel, d)
	})
}

// layout makes a scenario's client folder under root: a copy of dir, the scenario's files, and
// server.info and backup.info naming addr and the files.
func layout(root, dir string, sc *Scenario, addr string) (string, error) {
	client := filepath.Join(root, "client")
	if err := os.Mkdir(client, 0o755); err != nil {
		return "", err
	}
	if dir != "" {
		if err := copyTree(dir, client); err != nil {
			return "", fmt.Errorf("copying %s: %w", dir, err)
		}
	}
	var info string
	for i, f := range sc.Files {
		at, listed := filepath.Join(client, f.Name), f.Name
		if sc.paths {
			// One path relative to the client's folder, through a folder of its own; one absolute.
			dirs := [2]string{filepath.Join(client, "files"), filepath.Join(root, "elsewhere")}
			if err := os.MkdirAll(dirs[i], 0o755); err != nil {
				return "", err
			}
			at = filepath.Join(dirs[i], f.Name)
			listed = at
			if i == 0 {
				listed = "files/" + f.Name
			}
		}
		if err := writeFile(at, f.Content.Reader()); err != nil {
			return "", err
		}
		info += listed + "\n"
	}
	if err := os.WriteFile(filepath.Join(client, "backup.info"), []byte(info), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(client, "server.info"), []byte(addr+"\n"), 0o644); err != nil {
		return "", err
	}
	return client, nil
}

func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copyTree copies dir into dst, keeping modes and symbolic links.
func copyTree(dir, dst string) error {
	return walkCopied(dir, func(rel string, d fs.DirEntry) error {
		src, to := filepath.Join(dir, rel), filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(to, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			in, err := os.Open(src)
			if err != nil {
				return err
			}
			defer in.Close()
			if err := writeFile(to, in); err != nil {
				return err
			}
			return os.Chmod(to, info.Mode().Perm())
		}
		return nil
	})
}

// entry is a file as a snapshot saw it.
type entry struct {
	size  int64
	mtime time.Time
	dir   bool
}

// snapshot maps every path under root, but the server's store, to its state.
func snapshot(root string) map[string]entry {
	out := map[string]entry{}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "store" && d.IsDir() {
			return filepath.SkipDir
		}
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		out[rel] = entry{size: info.Size(), mtime: info.ModTime(), dir: d.IsDir()}
		return nil
	})
	return out
}

// change is a file the client made, changed or removed.
type change struct {
	path string // relative to the scenario's folder: client/tmp, conform-escape-…
	kind string // "made", "changed", "removed"
	size int64
}

func (c change) String() string {
	if c.kind == "removed" {
		return "removed " + c.path
	}
	return fmt.Sprintf("%s %s (%d bytes)", c.kind, c.path, c.size)
}

// diff lists what changed between two snapshots, in path order; folders only when made or removed.
func diff(before, after map[string]entry) []change {
	var out []change
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			out = append(out, change{path: p, kind: "made", size: a.size})
		case !a.dir && (a.size != b.size || !a.mtime.Equal(b.mtime)):
			out = append(out, change{path: p, kind: "changed", size: a.size})
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, change{path: p, kind: "removed"})
		}
	}
	slices.SortFunc(out, func(x, y change) int { return cmp.Compare(x.path, y.path) })
	return out
}

// checkTmp compares the file at path with a stored version.
func checkTmp(path string, v *version) tmpCheck {
	c := tmpCheck{RestoredFile: spec.RestoredFile{Mismatch: -1, Payload: v.n}}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c
	}
	if err != nil {
		c.err = err
		return c
	}
	c.Exists, c.Size = true, st.Size()
	c.Mismatch, c.err = firstDifference(path, v.path)
	return c
}

// firstDifference returns the offset of the first byte at which files a and b differ (one
// ending first differs there), -1 if they are the same.
func firstDifference(a, b string) (int64, error) {
	fa, err := os.Open(a)
	if err != nil {
		return 0, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return 0, err
	}
	defer fb.Close()
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	var off int64
	for {
		na, errA := io.ReadFull(fa, bufA)
		nb, errB := io.ReadFull(fb, bufB)
		n := min(na, nb)
		if i := content.FirstDiff(bufA[:n], bufB[:n]); i >= 0 {
			return off + int64(i), nil
		}
		if na != nb {
			return off + int64(n), nil
		}
		off += int64(n)
		endA := errA != nil && (errors.Is(errA, io.EOF) || errors.Is(errA, io.ErrUnexpectedEOF))
		switch {
		case errA != nil && !endA:
			return 0, errA
		case errB != nil && !errors.Is(errB, io.EOF) && !errors.Is(errB, io.ErrUnexpectedEOF):
			return 0, errB
		case endA:
			return -1, nil
		}
	}
}
