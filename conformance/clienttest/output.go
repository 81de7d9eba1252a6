package clienttest

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
)

// Bytes kept of what a client prints on each stream.
const (
	outputHead = 8 << 10
	outputTail = 8 << 10
)

// output keeps what a client prints on one stream, in bounded memory: its first and last bytes,
// how many there were, and which watched byte sequences went by, wherever writes cut them.
type output struct {
	mu    sync.Mutex
	head  []byte
	tail  []byte // the last outputTail bytes after the head
	total int64
	watch [][]byte
	seen  []bool
	carry []byte // the last bytes of the previous write, for a sequence cut in two
}

func newOutput(watch ...[]byte) *output {
	return &output{watch: watch, seen: make([]bool, len(watch))}
}

func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.total += int64(len(b))
	longest := 0
	for _, w := range o.watch {
		longest = max(longest, len(w))
	}
	if longest > 0 {
		joined := append(o.carry, b...)
		for i, w := range o.watch {
			if !o.seen[i] && bytes.Contains(joined, w) {
				o.seen[i] = true
			}
		}
		o.carry = append(o.carry[:0], joined[max(0, len(joined)-longest+1):]...)
	}
	rest := b
	if room := outputHead - len(o.head); room > 0 {
		k := min(room, len(rest))
		o.head = append(o.head, rest[:k]...)
		rest = rest[k:]
	}
	if len(rest) > 0 {
		o.tail = append(o.tail, rest...)
		if len(o.tail) > outputTail {
			o.tail = append(o.tail[:0], o.tail[len(o.tail)-outputTail:]...)
		}
	}
	return len(b), nil
}

// text is what was kept, with a mark where bytes were left out.
func (o *output) text() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if cut := o.total - int64(len(o.head)) - int64(len(o.tail)); cut > 0 {
		return string(o.head) + "\n[… " + strconv.FormatInt(cut, 10) + " bytes …]\n" + string(o.tail)
	}
	return string(o.head) + string(o.tail)
}

// saw reports whether b, a watched sequence, went by.
func (o *output) saw(b []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, w := range o.watch {
		if o.seen[i] && bytes.Equal(w, b) {
			return true
		}
	}
	return false
}

// lastLines returns up to n last non-empty lines of what was kept.
func (o *output) lastLines(n int) []string {
	var lines []string
	for l := range strings.Lines(o.text()) {
		if l = strings.TrimRight(l, "\r\n"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines[max(0, len(lines)-n):]
}

// Crash signatures: what a runtime prints when a program dies of an error it did not handle.
var crashSigns = []struct {
	sign, what string
}{
	{"Traceback (most recent call last):", "an uncaught Python exception"},
	{" [running]:\n", "a Go panic"},
	{"terminate called after throwing", "an uncaught C++ exception"},
	{"Exception in thread \"main\"", "an uncaught Java exception"},
	{"Unhandled exception.", "an unhandled .NET exception"},
	{"thread 'main' panicked", "a Rust panic"},
}

func crashWatch() [][]byte {
	out := make([][]byte, len(crashSigns))
	for i, c := range crashSigns {
		out[i] = []byte(c.sign)
	}
	return out
}

// crashIn names the crash stderr shows, with its last line (the exception or panic message),
// or returns "".
func crashIn(stderr *output) string {
	for _, c := range crashSigns {
		if stderr.saw([]byte(c.sign)) {
			last := stderr.lastLines(1)
			if c.what == "a Go panic" {
				last = panicLine(stderr.text())
			}
			return c.what + quoteLines(last)
		}
	}
	return ""
}

func panicLine(text string) []string {
	for l := range strings.Lines(text) {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return []string{strings.TrimSpace(l)}
		}
	}
	return nil
}

func quoteLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	s := strings.Join(lines, " | ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return ": " + strings.ToValidUTF8(sanitize(s), "?")
}

// sanitize keeps a client's output from driving the terminal a report is read on.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
