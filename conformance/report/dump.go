package report

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Bytes kept of a message for a report: its head and tail, and how many were cut between them.
const (
	ClipHead = 64
	clipTail = 16
)

// Clip is what a report keeps of a byte stream: the first and last bytes of it and its length,
// so that a 1 MiB payload costs 80 bytes in the report.
type Clip struct {
	Head  HexBytes `json:"head"`
	Tail  HexBytes `json:"tail,omitempty"`
	Total int64    `json:"total"`
}

// HexBytes is written in JSON as a hex string, as a reader compares it with a dump.
type HexBytes []byte

// MarshalText writes b in hex.
func (b HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(b)), nil }

// UnmarshalText reads hex.
func (b *HexBytes) UnmarshalText(text []byte) error {
	v, err := hex.DecodeString(string(text))
	*b = v
	return err
}

// ClipWriter records a stream into a Clip as it passes; its zero value is ready to use.
type ClipWriter struct {
	c    Clip
	ring []byte // the last clipTail bytes seen after the head, in order
}

func (w *ClipWriter) Write(b []byte) (int, error) {
	n := len(b)
	w.c.Total += int64(n)
	if room := ClipHead - len(w.c.Head); room > 0 {
		k := min(room, len(b))
		w.c.Head = append(w.c.Head, b[:k]...)
		b = b[k:]
	}
	if len(b) > 0 {
		w.ring = append(w.ring, b...)
		if len(w.ring) > clipTail {
			w.ring = append(w.ring[:0], w.ring[len(w.ring)-clipTail:]...)
		}
	}
	return n, nil
}

// Clip returns what the writer kept so far.
func (w *ClipWriter) Clip() Clip {
	c := w.c
	c.Head = append([]byte(nil), c.Head...)
	c.Tail = append([]byte(nil), w.ring...)
	return c
}

// Cut is how many bytes of the stream are not in the clip.
func (c Clip) Cut() int64 { return c.Total - int64(len(c.Head)) - int64(len(c.Tail)) }

// Dump formats c as hexdump -C does, offsets included, with a line saying what was cut.
func (c Clip) Dump(indent string) string {
	if c.Total == 0 {
		return indent + "(no bytes)\n"
	}
	var sb strings.Builder
	dumpLines(&sb, indent, c.Head, 0)
	if cut := c.Cut(); cut > 0 {
		fmt.Fprintf(&sb, "%s... %d bytes cut ...\n", indent, cut)
	}
	dumpLines(&sb, indent, c.Tail, c.Total-int64(len(c.Tail)))
	return sb.String()
}

func dumpLines(sb *strings.Builder, indent string, b []byte, off int64) {
	for len(b) > 0 {
		n := min(16, len(b))
		line := b[:n]
		fmt.Fprintf(sb, "%s%08x  ", indent, off)
		for i := range 16 {
			if i < n {
				fmt.Fprintf(sb, "%02x ", line[i])
			} else {
				sb.WriteString("   ")
			}
			if i == 7 {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(" |")
		for _, ch := range line {
			if ch >= 0x20 && ch < 0x7f {
				sb.WriteByte(ch)
			} else {
				sb.WriteByte('.')
			}
		}
		sb.WriteString("|\n")
		b, off = b[n:], off+int64(n)
	}
}

// RecordingReader reads from R, writes what it reads to Rec (a ClipWriter, say) and counts it
// in N: a tester records the bytes of an exchange as its decoder reads them.
type RecordingReader struct {
	R   io.Reader
	Rec io.Writer
	N   int64
}

func (r *RecordingReader) Read(b []byte) (int, error) {
	n, err := r.R.Read(b)
	r.Rec.Write(b[:n])
	r.N += int64(n)
	return n, err
}
