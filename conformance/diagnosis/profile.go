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
	// AckResponses sends one byte after every response read on a connection that carries
	// more: the server reads nothing more until the client acknowledges each response.
	AckResponses bool
	// StatusBigEndian reads the status field big-endian.
	StatusBigEndian bool
	// Format is the order the server writes a response's fields in, when FormatSeen: the
	// diagnosis saw it. Unseen, responses are read as the dialect documents them.
	Format     spec.Format
	FormatSeen bool
	// Serial runs one exchange at a time: the server serves one connection at a time.
	Serial bool
}

// Ack is the byte that acknowledges a response, for a profile with AckResponses.
var Ack = []byte{0}

// ErrFrameTooSmall: a request does not fit the server's fixed frame.
var ErrFrameTooSmall = errors.New("the request does not fit the server's frame")

// Framed reports whether p changes any byte on the wire.
func (p *Profile) Framed() bool {
	return len(p.ListSuffix) > 0 || p.FrameSize > 0 || p.HalfClose || p.SplitBackup ||
		p.ResponsePrefix > 0 || p.AckResponses || p.StatusBigEndian || p.ResponseFormat() != spec.FormatSpec
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

// CutWrites returns the writes that carry the first bytes of a request, cut short on purpose,
// as p sends a request, but never padded to a fixed frame: the padding would complete the
// frame, and the server would take the cut request for a whole one (its payload's missing
// bytes read from the zeros).
func (p *Profile) CutWrites(cut []byte, op wire.Op, headerLen int) ([][]byte, error) {
	unpadded := *p
	unpadded.FrameSize = 0
	return unpadded.Writes(cut, op, headerLen)
}

// Layout gives the fields a status code carries, ok false for one the reader cannot lay out.
type Layout func(code uint16) (f wire.Fields, ok bool)

// ResponseFormat is the order p reads a response's fields in: the one the diagnosis saw, or else the
// one its dialect documents.
func (p *Profile) ResponseFormat() spec.Format {
	if p.FormatSeen {
		return p.Format
	}
	return p.dialect().Format
}

// Head is the part of a response before its payload, as a reader of a profile makes it out.
type Head struct {
	Version uint8
	Status  uint16
	// StatusRead: the version and the status arrived.
	StatusRead bool
	// Defined: the layout defines the status. When it does not, nothing after the status was
	// read: where the response ends is unknown.
	Defined bool
	// Fields are the fields the status carries in the layout.
	Fields wire.Fields
	// NameLen is the name_len the server stated, -1 before it arrived.
	NameLen int
	// Name is the filename, as far as it came.
	Name []byte
	// Size is the payload's length, when Fields has one: the payload follows in the stream.
	Size uint32
}

// ReadHead reads the head of the next response from src as the server frames and orders it
// (its length prefix dropped, its status in its byte order, its fields in its format), and
// makes it out by layout. It is the one decoder of responses every tester shares: what it
// leaves in src is the payload of a status that carries one, then whatever follows the
// response, such as a size field and payload the status's layout has no room for. Its error
// is the stream's (io.EOF, io.ErrUnexpectedEOF, a network error), with the head as far as it
// came: io.EOF only when the stream ended before the response began.
func (p *Profile) ReadHead(src io.Reader, layout Layout) (h Head, err error) {
	defer func() {
		if err == io.EOF && h.StatusRead {
			// The response began: a stream that ends now ends inside it.
			err = io.ErrUnexpectedEOF
		}
	}()
	h = Head{NameLen: -1}
	if p.ResponsePrefix > 0 {
		// The prefix is not part of FBP: it is dropped, but a stream that ends inside it
		// ends the response as a stream that ends inside a header does.
		if _, err := io.ReadFull(src, make([]byte, p.ResponsePrefix)); err != nil {
			return h, err
		}
	}
	var b [4]byte
	if _, err := io.ReadFull(src, b[:3]); err != nil {
		return h, err
	}
	h.Version, h.StatusRead = b[0], true
	h.Status = binary.LittleEndian.Uint16(b[1:3])
	if p.StatusBigEndian {
		h.Status = binary.BigEndian.Uint16(b[1:3])
	}
	if h.Fields, h.Defined = layout(h.Status); !h.Defined {
		return h, nil
	}
	format := p.ResponseFormat()
	readSize := func() error {
		if _, err := io.ReadFull(src, b[:4]); err != nil {
			return err
		}
		h.Size = binary.LittleEndian.Uint32(b[:4])
		return nil
	}
	sizeFirst := format == spec.FormatSizeFirst && h.Fields.Has(wire.HasPayload)
	if sizeFirst {
		if err := readSize(); err != nil {
			return h, err
		}
	}
	if h.Fields.Has(wire.HasName) || format == spec.FormatFixedHeader {
		if _, err := io.ReadFull(src, b[:2]); err != nil {
			return h, err
		}
		h.NameLen = int(binary.LittleEndian.Uint16(b[:2]))
		if format == spec.FormatFixedHeader {
			if err := readSize(); err != nil {
				return h, err
			}
		}
		// name_len is at most 65535: a bounded allocation whatever the server states.
		h.Name = make([]byte, h.NameLen)
		if n, err := io.ReadFull(src, h.Name); err != nil {
			// What came of the name, and no more: a name cut short is not a name of zeros.
			h.Name = h.Name[:n]
			return h, err
		}
	}
	if h.Fields.Has(wire.HasPayload) && !sizeFirst && format != spec.FormatFixedHeader {
		if err := readSize(); err != nil {
			return h, err
		}
	}
	if !h.Fields.Has(wire.HasName) {
		// A fixed header's name_len of a status that has none: its bytes were read, and no
		// field of the status holds them.
		h.Name = nil
	}
	if !h.Fields.Has(wire.HasPayload) {
		// A fixed header's size of a status that has none: what it states is left in the
		// stream, bytes after the response.
		h.Size = 0
	}
	return h, nil
}
