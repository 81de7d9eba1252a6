package diagnosis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/ref/wire"
)

// Profile is how to speak to a server so that the rest of the protocol can be tested past
// what the diagnosis found: the status mapping it uses, and the framing faults a tester
// works around. The zero Profile speaks FBP as SPEC.md writes it.
type Profile struct {
	// Dialect is the status mapping the server speaks; nil is canonical.
	Dialect *spec.Dialect
	// ListSuffix is sent after every 6-byte LIST: the server reads a name_len for every op.
	ListSuffix []byte
	// FrameSize pads every request with zeros to this length: the server reads fixed frames.
	FrameSize int
	// HalfClose closes the sending side after each request: the server answers only at the
	// end of the client's stream.
	HalfClose bool
	// SplitBackup sends a BACKUP's payload in a write of its own, after the header: the
	// server drops the bytes that arrive with the header.
	SplitBackup bool
	// ResponsePrefix is the length, in bytes, of a length field before every response.
	ResponsePrefix int
	// StatusBigEndian reads the status field big-endian.
	StatusBigEndian bool
	// SizeBeforeName reads the size of a 210 or 211 before its name_len and filename.
	SizeBeforeName bool
	// Serial runs one exchange at a time: the server serves one connection at a time.
	Serial bool
}

// ErrFrameTooSmall: a request does not fit the server's fixed frame.
var ErrFrameTooSmall = errors.New("the request does not fit the server's frame")

// Framed reports whether p changes any byte on the wire.
func (p *Profile) Framed() bool {
	return len(p.ListSuffix) > 0 || p.FrameSize > 0 || p.HalfClose || p.SplitBackup ||
		p.ResponsePrefix > 0 || p.StatusBigEndian || p.SizeBeforeName
}

// Writes returns the writes that carry one request of op to the server: req's bytes as SPEC.md
// lays them out, of which the first headerLen are the request's header (for a BACKUP: up to
// its size field). It fails with ErrFrameTooSmall when a fixed frame cannot hold the request.
func (p *Profile) Writes(req []byte, op wire.Op, headerLen int) ([][]byte, error) {
	b := req
	if op == wire.OpList && len(p.ListSuffix) > 0 {
		b = append(append([]byte(nil), req...), p.ListSuffix...)
	}
	if p.FrameSize > 0 {
		if len(b) > p.FrameSize {
			return nil, fmt.Errorf("%w: %d bytes, frames of %d", ErrFrameTooSmall, len(b), p.FrameSize)
		}
		b = append(append([]byte(nil), b...), make([]byte, p.FrameSize-len(b))...)
	}
	if op == wire.OpBackup && p.SplitBackup && headerLen > 0 && headerLen < len(b) {
		return [][]byte{b[:headerLen], b[headerLen:]}, nil
	}
	return [][]byte{b}, nil
}

// Layout gives the fields a status code carries, ok false for one the reader cannot lay out.
type Layout func(code uint16) (f wire.Fields, ok bool)

// Reader turns the server's byte stream into responses as SPEC.md lays them out: it drops a
// length prefix, reads the status in the server's byte order and the fields in the server's
// order, so that a decoder of the spec's layout reads the rest. Where a status is one layout
// does not know, what follows is passed on as it comes.
func (p *Profile) Reader(src io.Reader, layout Layout) io.Reader {
	if !p.readsDifferently() {
		return src
	}
	return &canonReader{src: src, p: p, layout: layout}
}

func (p *Profile) readsDifferently() bool {
	return p.ResponsePrefix > 0 || p.StatusBigEndian || p.SizeBeforeName
}

// canonReader is Profile.Reader's reader.
type canonReader struct {
	src         io.Reader
	p           *Profile
	layout      Layout
	out         []byte // bytes of the current response, rewritten, still to hand out
	payloadLeft int64  // payload bytes of the current response still to pass through
	through     bool   // an unknown status: pass everything on as it comes
	err         error  // the error to return once out is empty
}

func (c *canonReader) Read(b []byte) (int, error) {
	for {
		switch {
		case len(c.out) > 0:
			n := copy(b, c.out)
			c.out = c.out[n:]
			return n, nil
		case c.err != nil:
			return 0, c.err
		case c.through:
			return c.src.Read(b)
		case c.payloadLeft > 0:
			n, err := c.src.Read(b[:min(int64(len(b)), c.payloadLeft)])
			c.payloadLeft -= int64(n)
			return n, err
		}
		c.next()
	}
}

// next rewrites the header of the next response into out.
func (c *canonReader) next() {
	read := func(n int) ([]byte, bool) {
		buf := make([]byte, n)
		k, err := io.ReadFull(c.src, buf)
		if err != nil {
			c.out = append(c.out, buf[:k]...)
			c.err = err
			return nil, false
		}
		return buf, true
	}
	if c.p.ResponsePrefix > 0 {
		// The prefix is not part of FBP: it is dropped, but a stream that ends inside it
		// ends the response as a stream that ends inside a header does.
		buf := make([]byte, c.p.ResponsePrefix)
		if _, err := io.ReadFull(c.src, buf); err != nil {
			c.err = err
			return
		}
	}
	head, ok := read(wire.ResponsePrefixLen)
	if !ok {
		return
	}
	if c.p.StatusBigEndian {
		head[1], head[2] = head[2], head[1]
	}
	code := binary.LittleEndian.Uint16(head[1:])
	c.out = append(c.out, head...)
	f, known := c.layout(code)
	if !known {
		c.through = true
		return
	}
	var size []byte
	if f.Has(wire.HasPayload) && c.p.SizeBeforeName {
		if size, ok = read(4); !ok {
			return
		}
	}
	if f.Has(wire.HasName) {
		nl, ok := read(2)
		if !ok {
			return
		}
		c.out = append(c.out, nl...)
		name, ok := read(int(binary.LittleEndian.Uint16(nl)))
		if !ok {
			return
		}
		c.out = append(c.out, name...)
	}
	if f.Has(wire.HasPayload) {
		if size == nil {
			if size, ok = read(4); !ok {
				return
			}
		}
		c.out = append(c.out, size...)
		c.payloadLeft = int64(binary.LittleEndian.Uint32(size))
	}
}
