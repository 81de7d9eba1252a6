package main

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// Lines held back reach the log on their own, without a Flush, and whole.
func TestLogWriterFlushesByItself(t *testing.T) {
	pr, pw := io.Pipe()
	w := newLogWriter(pw)
	w.Write([]byte("one\n"))
	w.Write([]byte("two\n"))
	lines := bufio.NewScanner(pr)
	for _, want := range []string{"one", "two"} {
		if !lines.Scan() || lines.Text() != want {
			t.Fatalf("line %q, want %q", lines.Text(), want)
		}
	}
}

// Flush writes every line held, in order; a long run of lines is written before Flush, in
// whole lines. out is read under the writer's lock, which its timer's flush holds too.
func TestLogWriterFlush(t *testing.T) {
	var out bytes.Buffer
	w := newLogWriter(&out)
	line := strings.Repeat("x", 99) + "\n"
	var want strings.Builder
	for {
		w.Write([]byte(line))
		want.WriteString(line)
		w.mu.Lock()
		written, held := out.Len(), len(w.buf)
		w.mu.Unlock()
		if written+held != want.Len() || written%len(line) != 0 {
			t.Fatalf("%d bytes written and %d held of %d, not whole lines", written, held, want.Len())
		}
		if want.Len() >= logFlushAt+len(line) {
			if written == 0 {
				t.Fatalf("nothing written after %d bytes", want.Len())
			}
			break
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatalf("after Flush %d bytes, want %d", out.Len(), want.Len())
	}
}
