package fuzz

import (
	"strings"
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
	"github.com/fbpkit/fbp/vectors"
)

// Seeds built in code: one valid message of every op and status, the exercise's example,
// and the broken shapes a decoder must refuse. The golden vectors are added to them by seeds.

// sampleRequests are valid requests of every op.
func sampleRequests() []wire.Request {
	return []wire.Request{
		{UserID: 1234, Version: 1, Op: wire.OpBackup, Name: []byte("mmn14.pdf"), Payload: []byte("%PDF-1.6 and the rest of the file")},
		{UserID: 0xffffffff, Version: 1, Op: wire.OpBackup, Name: []byte("empty.txt")},
		{UserID: 1, Version: 0, Op: wire.OpBackup, Name: []byte{}, Payload: []byte{0}},
		{UserID: 7, Version: 1, Op: wire.OpRestore, Name: []byte("mmn14.pdf")},
		{UserID: 7, Version: 255, Op: wire.OpDelete, Name: []byte(strings.Repeat("n", 255))},
		{UserID: 7, Version: 1, Op: wire.OpList},
	}
}

// sampleResponses are valid responses of every status.
func sampleResponses() []wire.Response {
	return []wire.Response{
		{Version: 1, Status: wire.StatusRestored, Name: []byte("mmn14.pdf"), Payload: []byte("%PDF-1.6")},
		{Version: 1, Status: wire.StatusListed, Name: []byte("Qx7Lm2Pz9Rt4Vw8Yb3Nc6Fh1Jk5Sd0Ga"), Payload: []byte("a.txt\nb.txt\n")},
		{Version: 1, Status: wire.StatusOK, Name: []byte("a.txt")},
		{Version: 1, Status: wire.StatusNotExist, Name: []byte("a.txt")},
		{Version: 1, Status: wire.StatusNoFiles},
		{Version: 1, Status: wire.StatusServerError},
	}
}

// brokenRequests are inputs a decoder must refuse: unknown ops, lengths that promise more than
// follows, fields the op does not carry. A name_len of 64 KiB with nothing behind it is left for
// the fuzzer to find (it is in testdata/fuzz) and for TestHostileHeadersAllocateLittle.
func brokenRequests() [][]byte {
	backup := wire.Request{UserID: 1, Version: 1, Op: wire.OpBackup, Name: []byte("f"), Payload: []byte("data")}
	r := func(edit func(*wire.RawRequest)) []byte {
		raw := backup.Raw()
		edit(&raw)
		return raw.Append(nil)
	}
	return [][]byte{
		{},
		{0x01, 0x00},
		r(func(x *wire.RawRequest) { x.Op = 7 }),
		r(func(x *wire.RawRequest) { x.Op = 255; x.Fields = 0 }),
		r(func(x *wire.RawRequest) { x.Size = new(uint32(0xffffffff)); x.Payload = nil }),
		r(func(x *wire.RawRequest) { x.NameLen = new(uint16(3)) }),
		r(func(x *wire.RawRequest) { x.Op = uint8(wire.OpList); x.Trailer = []byte{0xca} }),
	}
}

// brokenResponses are responses a decoder must refuse, as brokenRequests are.
func brokenResponses() [][]byte {
	restored := wire.Response{Version: 1, Status: wire.StatusRestored, Name: []byte("f"), Payload: []byte("data")}
	r := func(edit func(*wire.RawResponse)) []byte {
		raw := restored.Raw()
		edit(&raw)
		return raw.Append(nil)
	}
	return [][]byte{
		{},
		{0x01},
		r(func(x *wire.RawResponse) { x.Status = 200 }),
		r(func(x *wire.RawResponse) { x.Status = 0xffff; x.Fields = 0 }),
		r(func(x *wire.RawResponse) { x.Size = new(uint32(0xffffffff)); x.Payload = nil }),
		r(func(x *wire.RawResponse) { x.NameLen = new(uint16(3)) }),
	}
}

// seeds are the byte seeds of c's decoding targets: every sample whole, followed by other bytes,
// broken, and the golden vectors (github.com/fbpkit/fbp/vectors) of c's kind: valid messages,
// truncations, bad ops and statuses, over-limit lengths and trailing bytes.
func seeds[M any](tb testing.TB, c codec[M]) [][]byte {
	tb.Helper()
	var seeds [][]byte
	for _, m := range c.samples() {
		b := c.encode(&m)
		seeds = append(seeds, b, append(b[:len(b):len(b)], b...))
	}
	seeds = append(seeds, c.broken()...)
	set, err := vectors.Load()
	if err != nil {
		tb.Fatalf("loading the golden vectors: %v", err)
	}
	golden := c.golden(set)
	if len(golden) == 0 {
		tb.Fatalf("the golden vectors hold no %s", c.message)
	}
	for _, v := range golden {
		seeds = append(seeds, v.Bytes)
	}
	return seeds
}
