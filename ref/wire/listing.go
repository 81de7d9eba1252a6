package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrListing: a LIST payload is not one name per line. Matched by a *ListingError.
var ErrListing = errors.New("malformed listing")

// ListingError says where a listing stops being one name per line.
type ListingError struct {
	Line   int    // 1-based
	Offset int64  // of the line's first byte in the payload
	Reason string // "an empty line", "a line longer than 255 bytes"
	// Start holds the line's first bytes (at most 64), for a message to quote.
	Start []byte
	// TooLong: the line is longer than the scanner's limit.
	TooLong bool
}

func (e *ListingError) Error() string {
	return fmt.Sprintf("malformed listing: line %d (byte %d) is %s", e.Line, e.Offset, e.Reason)
}

// Is makes a *ListingError match ErrListing.
func (e *ListingError) Is(target error) bool { return target == ErrListing }

// ListingScanner reads a LIST payload one name at a time, holding one line at most: a
// listing of any length costs the memory of its longest allowed name.
//
// one name per line, each line ended by "\n"; a reader also accepts "\r\n" and a
// missing final newline. An empty line names no file (R-5.1 forbids the empty name), so it
// is an error, as is a line longer than the scanner's limit.
type ListingScanner struct {
	br   *bufio.Reader
	max  int
	line int
	off  int64
	name []byte
	err  error
}

// NewListingScanner reads names from r, none longer than maxName bytes (DefaultMaxName when
// maxName <= 0).
func NewListingScanner(r io.Reader, maxName int) *ListingScanner {
	if maxName <= 0 {
		maxName = DefaultMaxName
	}
	// Room for the longest name, "\r\n", and one byte more to tell a line that is too long.
	return &ListingScanner{br: bufio.NewReaderSize(r, maxName+3), max: maxName}
}

// Scan advances to the next name. It returns false at the end of the listing or at an error.
func (s *ListingScanner) Scan() bool {
	if s.err != nil {
		return false
	}
	line, err := s.br.ReadSlice('\n')
	start := s.off
	s.off += int64(len(line))
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		s.line++
		return s.failLong(start, line)
	case err == io.EOF && len(line) == 0:
		s.err = io.EOF
		return false
	case err != nil && err != io.EOF:
		s.err = err
		return false
	}
	s.line++
	name := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	switch {
	case len(name) == 0:
		return s.fail(start, "an empty line")
	case len(name) > s.max:
		return s.failLong(start, name)
	}
	s.name = name
	return true
}

func (s *ListingScanner) fail(off int64, reason string) bool {
	s.err = &ListingError{Line: s.line, Offset: off, Reason: reason}
	return false
}

func (s *ListingScanner) failLong(off int64, line []byte) bool {
	s.err = &ListingError{Line: s.line, Offset: off, Reason: fmt.Sprintf("a line longer than %d bytes", s.max),
		Start: bytes.Clone(line[:min(len(line), 64)]), TooLong: true}
	return false
}

// Name is the name Scan found, valid until the next call to Scan.
func (s *ListingScanner) Name() []byte { return s.name }

// Err is the error that ended the scan: nil at the listing's end, a *ListingError for a
// malformed listing, or the reader's error.
func (s *ListingScanner) Err() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}

// ParseListing splits a whole LIST payload into names by ListingScanner's rules, with no limit
// on a name's length but the payload's.
func ParseListing(b []byte) ([]string, error) {
	s := NewListingScanner(bytes.NewReader(b), max(len(b), 1))
	var names []string
	for s.Scan() {
		names = append(names, string(s.Name()))
	}
	return names, s.Err()
}
