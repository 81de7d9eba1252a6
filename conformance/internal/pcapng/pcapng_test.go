package pcapng

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// packet is an Enhanced Packet Block read back.
type packet struct {
	ts      time.Time
	data    []byte
	comment string
}

// readBack parses a file NewWriter wrote: the section header, one Ethernet interface, then
// packets; every block's two length fields must agree and be a multiple of 4.
func readBack(t *testing.T, b []byte) []packet {
	t.Helper()
	var out []packet
	for i := 0; len(b) > 0; i++ {
		if len(b) < 12 {
			t.Fatalf("block %d: %d bytes left", i, len(b))
		}
		typ, n := binary.LittleEndian.Uint32(b), int(binary.LittleEndian.Uint32(b[4:]))
		if n%4 != 0 || n > len(b) || int(binary.LittleEndian.Uint32(b[n-4:])) != n {
			t.Fatalf("block %d: length %d, trailing length %d, %d bytes left", i, n, binary.LittleEndian.Uint32(b[n-4:]), len(b))
		}
		body := b[8 : n-4]
		switch {
		case i == 0 && typ != blockSHB, i == 1 && typ != blockIDB, i > 1 && typ != blockEPB:
			t.Fatalf("block %d has type %#x", i, typ)
		case typ == blockSHB && binary.LittleEndian.Uint32(body) != byteOrderMagic:
			t.Fatal("section header without the byte-order magic")
		case typ == blockIDB && binary.LittleEndian.Uint16(body) != linkEthernet:
			t.Fatal("interface is not Ethernet")
		case typ == blockEPB:
			us := uint64(binary.LittleEndian.Uint32(body[4:]))<<32 | uint64(binary.LittleEndian.Uint32(body[8:]))
			capLen, origLen := int(binary.LittleEndian.Uint32(body[12:])), int(binary.LittleEndian.Uint32(body[16:]))
			if capLen != origLen {
				t.Fatalf("packet %d: captured %d of %d bytes", len(out), capLen, origLen)
			}
			p := packet{ts: time.UnixMicro(int64(us)), data: body[20 : 20+capLen]}
			opts := body[20+capLen+(4-capLen%4)%4:]
			for len(opts) >= 4 {
				code, l := binary.LittleEndian.Uint16(opts), int(binary.LittleEndian.Uint16(opts[2:]))
				if code == optEnd {
					break
				}
				if code == optComment {
					p.comment = string(opts[4 : 4+l])
				}
				opts = opts[4+l+(4-l%4)%4:]
			}
			out = append(out, p)
		}
		b = b[n:]
	}
	return out
}

// tcp is a segment's TCP view, its checksums verified.
type tcp struct {
	src, dst uint16
	seq, ack uint32
	flags    byte
	payload  []byte
}

func parseTCP(t *testing.T, frame []byte) tcp {
	t.Helper()
	ip := frame[14:]
	if binary.BigEndian.Uint16(frame[12:]) != 0x0800 || ip[0] != 0x45 || ip[9] != 6 {
		t.Fatalf("not IPv4 TCP: % x", frame[:34])
	}
	if fold(sum(0, ip[:20])) != 0xffff {
		t.Fatal("IPv4 header checksum is wrong")
	}
	total := int(binary.BigEndian.Uint16(ip[2:]))
	seg := ip[20:total]
	s := sum(0, ip[12:20]) + 6 + uint32(len(seg))
	if fold(sum(s, seg)) != 0xffff {
		t.Fatal("TCP checksum is wrong")
	}
	return tcp{binary.BigEndian.Uint16(seg), binary.BigEndian.Uint16(seg[2:]), binary.BigEndian.Uint32(seg[4:]), binary.BigEndian.Uint32(seg[8:]),
		seg[13], seg[20:]}
}

// TestFlowFraming writes a connection (handshake, a request, a large response cut into
// segments, a note, both closes) and reads it back: block framing, checksums, sequence and
// acknowledgement numbers that follow the bytes, comments, timestamps.
func TestFlowFraming(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out := &Locked{W: w}
	client, server := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:1234")
	at := time.Date(2026, 1, 2, 3, 4, 5, 678000, time.UTC)
	f := NewFlow(out, client, server, 1000, "case/x", at)
	f.Data(at, Client, []byte("request"), "")
	big := bytes.Repeat([]byte{0xab}, 2*maxSegment+7)
	f.Data(at.Add(time.Millisecond), Server, big, "")
	f.Fin(at, Client)
	f.Fin(at, Server)
	f.Note(at, Client, "FAIL: something")
	f.Flush(at)

	ps := readBack(t, buf.Bytes())
	var segs []tcp
	for _, p := range ps {
		segs = append(segs, parseTCP(t, p.data))
		if !strings.HasPrefix(p.comment, "case/x") {
			t.Errorf("comment %q does not name the case", p.comment)
		}
	}
	if !ps[0].ts.Equal(at) {
		t.Errorf("timestamp %v, want %v", ps[0].ts, at)
	}
	// SYN, SYN-ACK, ACK, request, 3 response segments, FIN, FIN, final ACK with the note.
	if len(segs) != 10 {
		t.Fatalf("%d packets, want 10", len(segs))
	}
	if segs[0].flags != flagSYN || segs[1].flags != flagSYN|flagACK || segs[1].ack != segs[0].seq+1 || segs[2].ack != segs[1].seq+1 {
		t.Errorf("handshake %+v %+v %+v", segs[0], segs[1], segs[2])
	}
	next := map[uint16]uint32{40000: segs[0].seq + 1, 1234: segs[1].seq + 1}
	var got []byte
	for i, s := range segs[3:] {
		if s.seq != next[s.src] {
			t.Errorf("segment %d from %d: seq %d, want %d", i+3, s.src, s.seq, next[s.src])
		}
		if s.flags&flagACK == 0 || s.ack != next[s.dst] && s.flags&flagFIN == 0 && len(s.payload) > 0 {
			t.Errorf("segment %d from %d: ack %d, want %d", i+3, s.src, s.ack, next[s.dst])
		}
		next[s.src] += uint32(len(s.payload))
		if s.flags&flagFIN != 0 {
			next[s.src]++
		}
		if s.src == 1234 {
			got = append(got, s.payload...)
		}
	}
	if !bytes.Equal(got, big) {
		t.Errorf("the response came back as %d bytes, want %d", len(got), len(big))
	}
	last := segs[9]
	if last.flags != flagACK || last.ack != next[last.dst] || !strings.HasSuffix(ps[9].comment, "FAIL: something") {
		t.Errorf("last packet %+v %q: want the final ACK carrying the note", last, ps[9].comment)
	}
}
