package diagnosis

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/ref/wire"
)

// ReadHead reads every framing and order of fields the diagnosis knows, and leaves in the
// stream what a status has no room for. A profile that has not seen the server's order reads
// by its dialect's: seed 003's wire format is its fixed header.
func TestReadHead(t *testing.T) {
	fixed := Profile{Format: spec.FormatFixedHeader, FormatSeen: true}
	tests := []struct {
		name    string
		p       Profile
		in      string // hex
		status  uint16
		fname   string
		size    uint32
		left    string // hex of what stays in the stream
		nameLen int
		err     error
	}{
		{"spec 210", Profile{}, "01 d200 0100 61 02000000 7879", 210, "a", 2, "7879", 1, nil},
		{"spec 212, bytes after it", Profile{}, "01 d400 0100 61 00000000", 212, "a", 0, "00000000", 1, nil},
		{"size first", Profile{Format: spec.FormatSizeFirst, FormatSeen: true}, "01 d200 02000000 0100 61 7879", 210, "a", 2, "7879", 1, nil},
		{"size first leaves 212 alone", Profile{Format: spec.FormatSizeFirst, FormatSeen: true}, "01 d400 0100 61", 212, "a", 0, "", 1, nil},
		{"fixed header 210", fixed, "01 d200 0100 02000000 61 7879", 210, "a", 2, "7879", 1, nil},
		{"fixed header 1002", fixed, "01 ea03 0000 00000000", 1002, "", 0, "", 0, nil},
		{"fixed header 212 with a size it has no room for", fixed, "01 d400 0100 03000000 61 616263", 212, "a", 0, "616263", 1, nil},
		{"seed 003's dialect: its fixed header", Profile{Dialect: spec.Seed003}, "01 d400 0100 02000000 61 7879", 212, "a", 2, "7879", 1, nil},
		{"seed 003's 210", Profile{Dialect: spec.Seed003}, "01 d200 0100 00000000 61", 210, "a", 0, "", 1, nil},
		{"seen order over the dialect's", Profile{Dialect: spec.Seed003, FormatSeen: true}, "01 d200 0100 61", 210, "a", 0, "", 1, nil},
		{"length prefix, big-endian status", Profile{ResponsePrefix: 8, StatusBigEndian: true}, "0300000000000000 01 03ea", 1002, "", 0, "", -1, nil},
		{"cut after name_len", Profile{}, "01 e903 0500", 1001, "", 0, "", 5, io.ErrUnexpectedEOF},
		{"cut inside the fixed header's size", fixed, "01 e903 0000 0000", 1001, "", 0, "", 0, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := hex.DecodeString(strings.ReplaceAll(tt.in, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			r := bytes.NewReader(in)
			h, err := tt.p.ReadHead(r, tt.p.dialect().Layout)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			left, _ := io.ReadAll(r)
			if !h.StatusRead || h.Status != tt.status || string(h.Name) != tt.fname || h.Size != tt.size || h.NameLen != tt.nameLen ||
				hex.EncodeToString(left) != tt.left {
				t.Errorf("status %d name %q size %d name_len %d, left %x; want %d %q %d %d, left %s",
					h.Status, h.Name, h.Size, h.NameLen, left, tt.status, tt.fname, tt.size, tt.nameLen, tt.left)
			}
		})
	}
}

// A request cut short on purpose goes out cut, as the profile splits it, but never padded to
// the server's frame: padded, the cut would be a whole frame, a request the server takes whole.
func TestCutWritesNotPadded(t *testing.T) {
	p := Profile{FrameSize: 64, SplitBackup: true}
	cut := []byte{1, 2, 3, 4, 1, 0xc8, 1, 0, 'a', 9, 0, 0, 0, 'x', 'y'}
	whole, err := p.Writes(cut, wire.OpBackup, 13)
	if err != nil || len(whole) != 2 || len(whole[0])+len(whole[1]) != 64 {
		t.Fatalf("Writes: %v %v, want the frame of 64 bytes in two writes", whole, err)
	}
	got, err := p.CutWrites(cut, wire.OpBackup, 13)
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], cut[:13]) || !bytes.Equal(got[1], cut[13:]) {
		t.Fatalf("CutWrites: %v %v, want the %d cut bytes, header apart, unpadded", got, err, len(cut))
	}
	if p.FrameSize != 64 {
		t.Fatalf("CutWrites changed the profile's frame to %d", p.FrameSize)
	}
}
