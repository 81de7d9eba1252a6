package wire_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
)

// Headers decoded into a reused value from a reused source: the goal is 0 allocs/op.
func BenchmarkReadRequestHeader(b *testing.B) {
	for _, m := range []wire.Request{
		{UserID: 1234, Version: 1, Op: wire.OpBackup, Name: []byte("mmn14.pdf"), Payload: make([]byte, 16)},
		{UserID: 1234, Version: 1, Op: wire.OpRestore, Name: []byte("mmn14.pdf")},
		{UserID: 1234, Version: 1, Op: wire.OpList},
	} {
		b.Run(m.Op.String(), func(b *testing.B) {
			benchReadHeader(b, m.Append(nil), len(m.Payload), (*wire.Reader).ReadRequestHeader,
				func(h *wire.RequestHeader) uint32 { return h.Size })
		})
	}
}

func BenchmarkReadResponseHeader(b *testing.B) {
	for _, m := range []wire.Response{
		{Version: 1, Status: wire.StatusRestored, Name: []byte("mmn14.pdf"), Payload: make([]byte, 16)},
		{Version: 1, Status: wire.StatusOK, Name: []byte("mmn14.pdf")},
		{Version: 1, Status: wire.StatusNoFiles},
	} {
		b.Run(m.Status.String(), func(b *testing.B) {
			benchReadHeader(b, m.Append(nil), len(m.Payload), (*wire.Reader).ReadResponseHeader,
				func(h *wire.ResponseHeader) uint32 { return h.Size })
		})
	}
}

// benchReadHeader reads msg, a message with a payload of payloadLen bytes, with readHeader into a
// reused header, from a reused source.
func benchReadHeader[H any](b *testing.B, msg []byte, payloadLen int, readHeader func(*wire.Reader, *H) error, size func(*H) uint32) {
	src := bytes.NewReader(msg)
	r := wire.NewReader(src, wire.DefaultLimits)
	var h H
	// The payload is read each time so that the Reader is at a message boundary when the source
	// is rewound.
	payload := make([]byte, payloadLen)
	read := func() {
		src.Reset(msg)
		if err := readHeader(r, &h); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r.Payload(), payload[:size(&h)]); err != nil {
			b.Fatal(err)
		}
	}
	read() // grows h.Name once, as the first message on a connection does
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		read()
	}
}

// Header encoding into a reused buffer.
func BenchmarkAppendRequestHeader(b *testing.B) {
	h := wire.RequestHeader{UserID: 1234, Version: 1, Op: wire.OpBackup, Name: []byte("mmn14.pdf"), Size: 29189}
	benchAppend(b, h.Append)
}

func BenchmarkAppendResponseHeader(b *testing.B) {
	h := wire.ResponseHeader{Version: 1, Status: wire.StatusRestored, Name: []byte("mmn14.pdf"), Size: 29189}
	benchAppend(b, h.Append)
}

func benchAppend(b *testing.B, appendHeader func([]byte) []byte) {
	buf := appendHeader(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = appendHeader(buf[:0])
	}
}

// A whole small BACKUP decoded from bytes, as tests and vectors do.
func BenchmarkParseRequestBackup(b *testing.B) {
	m := wire.Request{UserID: 1234, Version: 1, Op: wire.OpBackup, Name: []byte("mmn14.pdf"), Payload: bytes.Repeat([]byte("x"), 64)}
	msg := m.Append(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, _, err := wire.ParseRequest(msg, wire.DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

const mib = 1 << 20

// A 1 MiB BACKUP read with a Reader, its payload copied to io.Discard as a server copies it to
// a file.
func BenchmarkReaderPayload1MiB(b *testing.B) {
	m := wire.Request{UserID: 1234, Version: 1, Op: wire.OpBackup, Name: []byte("big.bin"), Payload: make([]byte, mib)}
	msg := m.Append(nil)
	src := bytes.NewReader(msg)
	r := wire.NewReader(src, wire.DefaultLimits)
	var h wire.RequestHeader
	b.ReportAllocs()
	b.SetBytes(mib)
	for b.Loop() {
		src.Reset(msg)
		if err := r.ReadRequestHeader(&h); err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r.Payload()); err != nil || n != mib {
			b.Fatalf("copied %d bytes: %v", n, err)
		}
	}
}

// A 1 MiB restore-ok written with a Writer, its payload taken from a reader as from a file.
func BenchmarkWriterPayload1MiB(b *testing.B) {
	payload := make([]byte, mib)
	h := wire.ResponseHeader{Version: 1, Status: wire.StatusRestored, Name: []byte("big.bin"), Size: mib}
	src := bytes.NewReader(payload)
	w := wire.NewWriter(io.Discard)
	b.ReportAllocs()
	b.SetBytes(mib)
	for b.Loop() {
		src.Reset(payload)
		if err := w.WriteResponse(&h, src); err != nil {
			b.Fatal(err)
		}
	}
}
