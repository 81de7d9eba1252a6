package diagnosis

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/ref/wire"
)

// answer is one response as a profile reads it.
type answer struct {
	Head
	payload []byte
}

func (a *answer) String() string {
	s := fmt.Sprintf("%d", a.Status)
	if a.Fields.Has(wire.HasName) {
		s += " " + spec.Quote(a.Name)
	}
	if a.Fields.Has(wire.HasPayload) {
		s += fmt.Sprintf(" size %d", a.Size)
	}
	return s
}

// dialect is the mapping p reads statuses by.
func (p *Profile) dialect() *spec.Dialect {
	if p.Dialect != nil {
		return p.Dialect
	}
	return spec.Canonical
}

// parsed is what p makes of the bytes of an answer.
type parsed struct {
	answers []answer
	// rest is the bytes that follow the last whole answer, as they came.
	rest []byte
	// unknown: rest starts with a status the mapping does not define.
	unknown bool
	// cut is what came of the answer rest begins, when it is not whole.
	cut Head
}

// parse reads got as a stream of responses by p, with the one decoder every tester reads
// responses with (ReadHead): every whole one, and what is left.
func (p *Profile) parse(got []byte) ([]answer, parsed) {
	layout := p.dialect().Layout
	var out parsed
	b := got
	for len(b) > 0 {
		r := bytes.NewReader(b)
		h, err := p.ReadHead(r, layout)
		if err == nil && !h.Defined {
			out.unknown = true
			break
		}
		a := answer{Head: h}
		if err == nil && h.Fields.Has(wire.HasPayload) {
			if int64(r.Len()) < int64(h.Size) {
				err = io.ErrUnexpectedEOF
			} else {
				off := len(b) - r.Len()
				a.payload = b[off : off+int(h.Size)]
				_, _ = r.Seek(int64(h.Size), io.SeekCurrent)
			}
		}
		if err != nil {
			out.cut = h
			break
		}
		out.answers = append(out.answers, a)
		b = b[len(b)-r.Len():]
	}
	out.rest = b
	return out.answers, out
}

// describeBytes says what bytes look like, in a few words and their start.
func describeBytes(b []byte) string {
	const show = 24
	head := b[:min(len(b), show)]
	more := ""
	if len(b) > show {
		more = "…"
	}
	if printable(head) {
		return fmt.Sprintf("%d bytes %q%s", len(b), head, more)
	}
	return fmt.Sprintf("%d bytes % x%s", len(b), head, more)
}

// printable reports whether b is text: printable ASCII and line ends.
func printable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c != '\r' && c != '\n' && c != '\t' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	return true
}

// looksLike names the protocol or framing that bytes, which are not an FBP response, suggest.
func looksLike(b []byte) string {
	s := string(b)
	switch {
	case strings.HasPrefix(s, "HTTP/"):
		line, _, _ := strings.Cut(s, "\r\n")
		return "an HTTP response (" + strings.TrimSpace(line) + "): the server speaks HTTP, not FBP"
	case strings.HasPrefix(s, "SSH-"):
		return "an SSH greeting: the port is an SSH server's"
	case len(b) >= 2 && b[0] == 0x16 && b[1] == 0x03:
		return "a TLS record: the server expects TLS"
	case printable(b):
		return fmt.Sprintf("text, %q: the server answers in words, not FBP's binary fields", firstLine(s))
	case allZero(b):
		return fmt.Sprintf("%d zero bytes", len(b))
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	line = strings.TrimRightFunc(line, unicode.IsSpace)
	if len(line) > 60 {
		line = line[:60] + "…"
	}
	return line
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return len(b) > 0
}

// lengthPrefix reports whether b starts with an n-byte little- or big-endian length that
// counts exactly the bytes after it, as a framing of the server's own would.
func lengthPrefix(b []byte) (n int, ok bool) {
	for _, n := range []int{8, 4, 2} {
		if len(b) < n+wire.ResponsePrefixLen {
			continue
		}
		rest := uint64(len(b) - n)
		var le, be uint64
		for i := range n {
			le |= uint64(b[i]) << (8 * i)
			be = be<<8 | uint64(b[i])
		}
		if le == rest || be == rest {
			return n, true
		}
	}
	return 0, false
}
