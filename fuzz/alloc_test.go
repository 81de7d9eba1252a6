package fuzz

import (
	"io"
	"math"
	"runtime"
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
)

// allocBound is what one decode of a hostile header may allocate: the decoder's own state and
// a chunk of name, against the 64 KiB name and 4 GiB payload the headers declare.
const allocBound = 4 << 10

// a header that declares a 64 KiB name or a 4 GiB−1 payload with no byte of it behind
// must cost almost nothing to decode, with limits large enough to allow both.
func TestHostileHeadersAllocateLittle(t *testing.T) {
	req := wire.Request{UserID: 1, Version: 1, Op: wire.OpBackup, Name: []byte("x")}
	resp := wire.Response{Version: 1, Status: wire.StatusRestored, Name: []byte("x")}
	// name_len 65535 and nothing after it.
	rq, rs := req.Raw(), resp.Raw()
	rq.NameLen, rq.Name, rq.Fields = new(uint16(math.MaxUint16)), nil, wire.HasName
	rs.NameLen, rs.Name, rs.Fields = new(uint16(math.MaxUint16)), nil, wire.HasName
	nameReq, nameResp := rq.Append(nil), rs.Append(nil)
	// A whole name, then size 4 GiB−1 and nothing after it.
	rq, rs = req.Raw(), resp.Raw()
	rq.Size, rs.Size = new(uint32(math.MaxUint32)), new(uint32(math.MaxUint32))
	sizeReq, sizeResp := rq.Append(nil), rs.Append(nil)

	for _, tc := range []struct {
		name   string
		data   []byte
		decode func([]byte) error
	}{
		{"ParseRequest/name_len-65535", nameReq, parseRequest},
		{"ParseRequest/size-4GiB", sizeReq, parseRequest},
		{"ParseResponse/name_len-65535", nameResp, parseResponse},
		{"ParseResponse/size-4GiB", sizeResp, parseResponse},
		{"Reader/request/name_len-65535", nameReq, readRequest},
		{"Reader/request/size-4GiB", sizeReq, readRequest},
		{"Reader/response/name_len-65535", nameResp, readResponse},
		{"Reader/response/size-4GiB", sizeResp, readResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.decode(tc.data); !wire.IsTruncated(err) {
				t.Fatalf("decoding %x: %v, want a truncation", tc.data, err)
			}
			const runs = 50
			perRun := totalAlloc(func() {
				for range runs {
					_ = tc.decode(tc.data)
				}
			}) / runs
			if perRun > allocBound {
				t.Fatalf("decoding the %d bytes %x allocates %d bytes, over %d", len(tc.data), tc.data, perRun, allocBound)
			}
			t.Logf("%d bytes allocated per decode", perRun)
		})
	}
}

// totalAlloc is how many bytes f allocates, from the runtime's cumulative count: the least of
// three runs, so that an allocation elsewhere in the process during one run does not count.
func totalAlloc(f func()) uint64 {
	f() // first use of pools and lazily built state is not the decoder's cost
	least := uint64(math.MaxUint64)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

func parseRequest(b []byte) error {
	_, _, err := wire.ParseRequest(b, hugeLimits)
	return err
}

func parseResponse(b []byte) error {
	_, _, err := wire.ParseResponse(b, hugeLimits)
	return err
}

// readRequest and readResponse read a header with a Reader and then its payload, as a server
// would.
var (
	readRequest  = readMessage(func(r *wire.Reader) error { var h wire.RequestHeader; return r.ReadRequestHeader(&h) })
	readResponse = readMessage(func(r *wire.Reader) error { var h wire.ResponseHeader; return r.ReadResponseHeader(&h) })
)

func readMessage(readHeader func(*wire.Reader) error) func([]byte) error {
	return func(b []byte) error {
		r := wire.NewReader(&sliceReader{b: b}, hugeLimits)
		if err := readHeader(r); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, r.Payload())
		return err
	}
}

// sliceReader is a plain io.Reader over bytes, with none of the shortcuts of bytes.Reader
// (WriteTo), so that a payload is copied the way it is from a socket.
type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}
