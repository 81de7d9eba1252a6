package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// formatWriters are the forms a report can be written in, by -format: every subcommand
// writes its report through the one of its -format.
type formatWriters map[string]func(io.Writer) error

// outputFile is the -o file of a run. It is opened before the run, so that a path that cannot
// be written fails at once rather than after minutes of testing, but emptied only when the
// report is written: a run that ends without a report (a usage error, an unreachable server)
// leaves an earlier report as it was and no empty file where there was none.
type outputFile struct {
	f       *os.File
	created bool // the file did not exist before the run
	written bool
}

// checkOutput says, before any testing and without creating anything, why the -o file path
// could not be written: it is a folder, a file that cannot be opened for writing, or a file in
// a folder that does not exist. A run that would fail there after minutes fails at once.
func checkOutput(path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fmt.Errorf("-o %s is a folder: -o names the file to write", path)
		}
		if !st.Mode().IsRegular() {
			return nil // a device such as /dev/stdout: opening it may wait for a reader
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("-o %s cannot be written: %w", path, errors.Unwrap(err))
		}
		return f.Close()
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return fmt.Errorf("-o %s: there is no folder %s to write it in", path, filepath.Dir(path))
	}
	return nil
}

// createOutput opens the -o file path; nil without one, for stdout.
func createOutput(path string) (*outputFile, error) {
	if err := checkOutput(path); err != nil || path == "" {
		return nil, err
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	return &outputFile{f: f, created: errors.Is(statErr, fs.ErrNotExist)}, nil
}

// Close closes the file, and removes it when the run wrote nothing to a file it created.
func (o *outputFile) Close() error {
	if o == nil || o.f == nil {
		return nil
	}
	err := o.f.Close()
	if !o.written && o.created {
		os.Remove(o.f.Name())
	}
	o.f = nil
	return err
}

// writeOutput writes with write to file, or to stdout when file is nil, and closes the file:
// a failed close is a failed write, since the report may not be on the disk.
func writeOutput(file *outputFile, stdout io.Writer, write func(io.Writer) error) error {
	if file == nil {
		return write(stdout)
	}
	file.written = true
	err := file.f.Truncate(0)
	if err == nil {
		err = write(file.f)
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeTo writes with write to the file path, or to stdout when path is "".
func writeTo(path string, stdout io.Writer, write func(io.Writer) error) error {
	file, err := createOutput(path)
	if err != nil {
		return err
	}
	return writeOutput(file, stdout, write)
}

// flushText ends a text report with its verdict line and writes it to w.
func flushText(w io.Writer, b *strings.Builder, verdict string) error {
	fmt.Fprintf(b, "\n%s\n", verdict)
	_, err := io.WriteString(w, b.String())
	return err
}
