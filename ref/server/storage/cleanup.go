package storage

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// maxCleanupLines bounds the log lines OpenFS writes about single entries; a summary line
// counts the rest.
const maxCleanupLines = 20

// cleanup counts what removeTemporaries did.
type cleanup struct {
	removed, skipped int
	lines            int
}

// note logs one entry removed or left alone, up to maxCleanupLines of them.
func (s *FS) note(c *cleanup, removed bool, path, why string) {
	if removed {
		c.removed++
	} else {
		c.skipped++
	}
	if c.lines++; c.lines > maxCleanupLines {
		return
	}
	if removed {
		s.log.Info("startup: removed a leftover upload", "path", path)
	} else {
		s.log.Warn("startup: left alone", "path", path, "why", why)
	}
}

// removeTemporaries deletes the upload files left in user folders by a server that stopped
// before committing or aborting them. Whatever else it meets that the store did not make, it
// leaves alone and reports: a server must start whatever an operator or a crash left in its
// folder. Folders are read in batches to bound memory.
func (s *FS) removeTemporaries() error {
	d, err := s.root.Open(".")
	if err != nil {
		return fmt.Errorf("open store folder: %w", err)
	}
	defer d.Close()
	var c cleanup
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			switch {
			case e.IsDir():
				s.cleanUserFolder(&c, e.Name())
			case e.Type()&fs.ModeSymlink != 0:
				s.note(&c, false, e.Name(), "a link in the store folder: its requests are refused")
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read store folder: %w", err)
		}
	}
	if c.removed+c.skipped > 0 {
		s.log.Info("startup: store folder checked", "removed", c.removed, "left_alone", c.skipped)
	}
	return nil
}

func (s *FS) cleanUserFolder(c *cleanup, dir string) {
	d, err := s.root.Open(dir)
	if err != nil {
		s.note(c, false, dir, err.Error())
		return
	}
	defer d.Close()
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), TempPrefix) {
				continue
			}
			p := dir + string(os.PathSeparator) + e.Name()
			if !e.Type().IsRegular() {
				s.note(c, false, p, fmt.Sprintf("named like an upload but a %v, not a regular file", e.Type()))
				continue
			}
			if err := s.root.Remove(p); err != nil {
				s.note(c, false, p, err.Error())
				continue
			}
			s.note(c, true, p, "")
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			s.note(c, false, dir, err.Error())
			return
		}
	}
}
