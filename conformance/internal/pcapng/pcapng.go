// Package pcapng writes TCP connections as pcapng files that Wireshark and tshark open: the
// section and interface headers, then one Enhanced Packet Block per segment, with synthetic but
// consistent Ethernet, IP and TCP headers around the bytes that really moved (handshake,
// sequence and acknowledgement numbers, the close or the reset) and a comment on every packet.
//
// Only the standard library: the format is small (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng),
// and a tester must be able to record without pulling a capture library in.
package pcapng

import (
	"encoding/binary"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"
)

const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockEPB = 0x00000006

	byteOrderMagic = 0x1A2B3C4D
	linkEthernet   = 1
	optComment     = 1
	optEnd         = 0
)

// Writer writes blocks to a stream. It is not safe for concurrent use: a Flow's Sink serializes.
type Writer struct {
	w   io.Writer
	hdr []byte
	err error
}

// NewWriter writes a section header and one Ethernet interface to w, and returns a Writer
// for the packets that follow.
func NewWriter(w io.Writer) (*Writer, error) {
	pw := NewBlockWriter(w)
	var b []byte
	// Section header: byte-order magic, version 1.0, section length unknown (-1).
	b = block(b, blockSHB, func(b []byte) []byte {
		b = le32(b, byteOrderMagic)
		b = le16(b, 1)
		b = le16(b, 0)
		return le64(b, ^uint64(0))
	})
	// Interface: Ethernet, no snap length limit; timestamps in microseconds (the default).
	b = block(b, blockIDB, func(b []byte) []byte {
		b = le16(b, linkEthernet)
		b = le16(b, 0)
		return le32(b, 0)
	})
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	return pw, nil
}

// NewBlockWriter returns a Writer that writes packet blocks only, for a stream whose headers
// are written elsewhere: a spool whose blocks are later appended to a file.
func NewBlockWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WritePacket writes one packet captured at t: frame is the link-layer headers, payload the
// bytes after them (not copied), comment the packet's comment ("" for none).
func (w *Writer) WritePacket(t time.Time, frame, payload []byte, comment string) error {
	if w.err != nil {
		return w.err
	}
	n := len(frame) + len(payload)
	pad := pad4(n)
	optLen := 0
	if comment != "" {
		optLen = 4 + len(comment) + pad4(len(comment)) + 4
	}
	total := 28 + n + pad + optLen + 4
	us := uint64(t.UnixMicro())
	h := w.hdr[:0]
	h = le32(h, blockEPB)
	h = le32(h, uint32(total))
	h = le32(h, 0) // interface 0
	h = le32(h, uint32(us>>32))
	h = le32(h, uint32(us))
	h = le32(h, uint32(n))
	h = le32(h, uint32(n))
	h = append(h, frame...)
	w.hdr = h
	if _, w.err = w.w.Write(h); w.err != nil {
		return w.err
	}
	if _, w.err = w.w.Write(payload); w.err != nil {
		return w.err
	}
	t2 := w.hdr[:0]
	t2 = append(t2, make([]byte, pad)...)
	if comment != "" {
		t2 = le16(t2, optComment)
		t2 = le16(t2, uint16(len(comment)))
		t2 = append(t2, comment...)
		t2 = append(t2, make([]byte, pad4(len(comment)))...)
		t2 = le16(t2, optEnd)
		t2 = le16(t2, 0)
	}
	t2 = le32(t2, uint32(total))
	w.hdr = t2
	_, w.err = w.w.Write(t2)
	return w.err
}

func block(b []byte, typ uint32, body func([]byte) []byte) []byte {
	start := len(b)
	b = le32(b, typ)
	b = le32(b, 0)
	b = body(b)
	b = le32(b, 0)
	binary.LittleEndian.PutUint32(b[start+4:], uint32(len(b)-start))
	binary.LittleEndian.PutUint32(b[len(b)-4:], uint32(len(b)-start))
	return b
}

func pad4(n int) int { return (4 - n%4) % 4 }

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// Sink takes a flow's packets: a Writer behind a lock, or a spool.
type Sink interface {
	WritePacket(t time.Time, frame, payload []byte, comment string) error
}

// Locked is a Writer that several flows share.
type Locked struct {
	mu sync.Mutex
	W  *Writer
}

// WritePacket writes the packet under the lock.
func (l *Locked) WritePacket(t time.Time, frame, payload []byte, comment string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.WritePacket(t, frame, payload, comment)
}

// Side is an end of a connection.
type Side int

const (
	Client Side = iota // the end that opened the connection
	Server
)

// Other is the peer of s.
func (s Side) Other() Side { return 1 - s }

// maxSegment bounds a segment's payload so that the IP total length (16 bits) holds it with
// the headers of IPv6 or IPv4.
const maxSegment = 65000

// TCP flags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
)

// Flow is one TCP connection as packets: it numbers the bytes each side sends, so that
// segments, acknowledgements and the close are consistent however the bytes were cut.
// It is safe for concurrent use: the two directions of a connection are written by two
// goroutines.
type Flow struct {
	mu   sync.Mutex
	out  Sink
	ep   [2]netip.AddrPort
	next [2]uint32 // the next sequence number each side sends
	fin  [2]bool
	rst  bool
	// acked is the acknowledgement number each side last sent.
	acked [2]uint32
	// finalAck is the side whose acknowledgement of the last FIN is held back; pending a note
	// that waits for the next packet.
	finalAck *Side
	pending  string
	ipid     uint16
	// Label starts every packet's comment: the case or exchange the connection belongs to.
	Label string
	frame []byte
}

// NewFlow writes the handshake of a connection from client to server at t and returns the
// flow. isn seeds the initial sequence numbers, so that two flows of a file differ.
func NewFlow(out Sink, client, server netip.AddrPort, isn uint32, label string, t time.Time) *Flow {
	unmap := func(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }
	f := &Flow{out: out, ep: [2]netip.AddrPort{unmap(client), unmap(server)}, Label: label}
	f.next = [2]uint32{isn, isn ^ 0x5a5a0000}
	if f.ep[0].Addr().Is4() != f.ep[1].Addr().Is4() {
		// A v4 address talking to a v6 one cannot be framed as it is: IPv6 for both.
		f.ep[0] = netip.AddrPortFrom(netip.AddrFrom16(f.ep[0].Addr().As16()), f.ep[0].Port())
		f.ep[1] = netip.AddrPortFrom(netip.AddrFrom16(f.ep[1].Addr().As16()), f.ep[1].Port())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.segment(t, Client, flagSYN, nil, "")
	f.next[Client]++
	f.segment(t, Server, flagSYN|flagACK, nil, "")
	f.next[Server]++
	f.segment(t, Client, flagACK, nil, "")
	return f
}

// Data writes the bytes from sent at t, in segments of at most 65000 bytes. note, when not
// empty, follows the label in the comment of its packets.
func (f *Flow) Data(t time.Time, from Side, b []byte, note string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rst {
		return
	}
	for len(b) > 0 {
		n := min(len(b), maxSegment)
		f.segment(t, from, flagPSH|flagACK, b[:n], note)
		f.next[from] += uint32(n)
		b = b[n:]
	}
}

// Note writes note at t in the comment of a packet: what a judge found once the bytes had
// passed. The packet is a new acknowledgement, from the side that has bytes (or a close) of the
// other to acknowledge; when neither has, the note waits for the next packet of the flow (the
// final acknowledgement of a close is held back for it): a second acknowledgement of the same
// bytes would be a duplicate ACK, which Wireshark reports as a sign of loss.
func (f *Flow) Note(t time.Time, from Side, note string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.finalAck != nil:
		f.segment(t, *f.finalAck, flagACK, nil, note)
		f.finalAck = nil
	case f.acked[from] != f.next[from.Other()]:
		f.segment(t, from, flagACK, nil, note)
	case f.acked[from.Other()] != f.next[from]:
		f.segment(t, from.Other(), flagACK, nil, note)
	case f.pending != "":
		f.pending += "; " + note
	default:
		f.pending = note
	}
}

// Flush writes at t what the flow holds back: the final acknowledgement of its close, and a
// note that found no packet to ride on.
func (f *Flow) Flush(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.finalAck != nil:
		f.segment(t, *f.finalAck, flagACK, nil, "")
		f.finalAck = nil
	case f.pending != "":
		f.segment(t, Client, flagACK, nil, "")
	}
}

// Fin writes from's close at t; a second close of the same side writes nothing.
func (f *Flow) Fin(t time.Time, from Side) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fin[from] || f.rst {
		return
	}
	f.fin[from] = true
	f.segment(t, from, flagFIN|flagACK, nil, "")
	f.next[from]++
	if f.fin[from.Other()] {
		// The last FIN is acknowledged by the side that closed first, when the flow is
		// flushed: a note may ride on it.
		other := from.Other()
		f.finalAck = &other
	}
}

// Reset writes a reset from side from at t: the connection ends there.
func (f *Flow) Reset(t time.Time, from Side) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rst {
		return
	}
	f.rst = true
	f.segment(t, from, flagRST|flagACK, nil, "")
}

// segment writes one packet; the caller holds f.mu.
func (f *Flow) segment(t time.Time, from Side, flags byte, payload []byte, note string) {
	src, dst := f.ep[from], f.ep[from.Other()]
	comment := f.Label
	if f.pending != "" {
		note, f.pending = strings.TrimPrefix(note+"; "+f.pending, "; "), ""
	}
	if note != "" {
		if comment != "" {
			comment += ": "
		}
		comment += note
	}
	fr := f.frame[:0]
	// Ethernet: locally administered addresses that tell the two sides apart.
	fr = append(fr, 0x02, 0, 0, 0, 0, byte(from.Other())+1, 0x02, 0, 0, 0, 0, byte(from)+1)
	tcpLen := 20 + len(payload)
	ipStart := 0
	if src.Addr().Is4() {
		fr = append(fr, 0x08, 0x00)
		ipStart = len(fr)
		f.ipid++
		fr = append(fr, 0x45, 0)
		fr = binary.BigEndian.AppendUint16(fr, uint16(20+tcpLen))
		fr = binary.BigEndian.AppendUint16(fr, f.ipid)
		fr = append(fr, 0x40, 0, 64, 6, 0, 0) // don't fragment, TTL 64, TCP, checksum below
		s4, d4 := src.Addr().As4(), dst.Addr().As4()
		fr = append(fr, s4[:]...)
		fr = append(fr, d4[:]...)
		binary.BigEndian.PutUint16(fr[ipStart+10:], ^fold(sum(0, fr[ipStart:ipStart+20])))
	} else {
		fr = append(fr, 0x86, 0xdd)
		ipStart = len(fr)
		fr = append(fr, 0x60, 0, 0, 0)
		fr = binary.BigEndian.AppendUint16(fr, uint16(tcpLen))
		fr = append(fr, 6, 64)
		s16, d16 := src.Addr().As16(), dst.Addr().As16()
		fr = append(fr, s16[:]...)
		fr = append(fr, d16[:]...)
	}
	tcp := len(fr)
	fr = binary.BigEndian.AppendUint16(fr, src.Port())
	fr = binary.BigEndian.AppendUint16(fr, dst.Port())
	fr = binary.BigEndian.AppendUint32(fr, f.next[from])
	ack := uint32(0)
	if flags&flagSYN == 0 || flags&flagACK != 0 {
		ack = f.next[from.Other()]
	}
	if flags&flagACK == 0 {
		ack = 0
	} else {
		f.acked[from] = ack
	}
	fr = binary.BigEndian.AppendUint32(fr, ack)
	fr = append(fr, 5<<4, flags)
	fr = binary.BigEndian.AppendUint16(fr, 65535) // window
	fr = append(fr, 0, 0, 0, 0)                   // checksum, urgent pointer
	// The TCP checksum covers a pseudo-header of the addresses, the protocol and the length.
	var s uint32
	if src.Addr().Is4() {
		s = sum(s, fr[ipStart+12:ipStart+20])
	} else {
		s = sum(s, fr[ipStart+8:ipStart+40])
	}
	s += 6 + uint32(tcpLen)
	s = sum(s, fr[tcp:])
	s = sum(s, payload)
	binary.BigEndian.PutUint16(fr[tcp+16:], ^fold(s))
	f.frame = fr
	// A sink that fails keeps failing: the Recorder reports its error at the end.
	_ = f.out.WritePacket(t, fr, payload, comment)
}

// sum adds b as big-endian 16-bit words to s (the Internet checksum, RFC 1071), a trailing odd
// byte padded with zero.
func sum(s uint32, b []byte) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// WriteRaw runs write on the Writer's stream under the lock: for blocks spooled elsewhere.
func (l *Locked) WriteRaw(write func(io.Writer) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.W.err != nil {
		return l.W.err
	}
	l.W.err = write(l.W.w)
	return l.W.err
}

// Flush flushes b, the buffer under the Writer's stream, under the lock.
func (l *Locked) Flush(b interface{ Flush() error }) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.W.err != nil {
		return l.W.err
	}
	return b.Flush()
}
