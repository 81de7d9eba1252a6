package main

import (
	"io"
	"os"
)

// formatWriters are the forms a report can be written in, by -format: every subcommand
// writes its report through the one of its -format.
type formatWriters map[string]func(io.Writer) error

// createOutput creates the -o file path; nil without one, for stdout.
func createOutput(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	return os.Create(path)
}

// writeOutput writes with write to file, or to stdout when file is nil, and closes the file:
// a failed close is a failed write, since the report may not be on the disk.
func writeOutput(file *os.File, stdout io.Writer, write func(io.Writer) error) error {
	if file == nil {
		return write(stdout)
	}
	err := write(file)
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
