package bench

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/fbpkit/fbp/internal/content"
)

// Every file a client stores names its own version in a header: whatever a server returns, a
// RESTORE can tell which version it claims to be and check every byte against it, without a
// record of what each client stored. A torn file (the start of one version and the rest of
// another) carries one version's header and another's bytes, and fails the check.
//
// The header: "fbpB", then the name's index, the client's index, the version's number among
// that client's backups of that name, and the file's length, each 4 bytes little-endian. The
// rest is drawn from a seed made of all four and the run's seed.
const HeaderLen = 20

var magic = [4]byte{'f', 'b', 'p', 'B'}

// version identifies one file a client stored.
type version struct {
	name   uint32 // index of the filename
	client uint32
	n      uint32 // 1 for the client's first backup of the name
	size   int64
}

func (v version) String() string {
	return fmt.Sprintf("version %d of client %d (%d bytes)", v.n, v.client, v.size)
}

func (v version) header() [HeaderLen]byte {
	var h [HeaderLen]byte
	copy(h[:], magic[:])
	binary.LittleEndian.PutUint32(h[4:], v.name)
	binary.LittleEndian.PutUint32(h[8:], v.client)
	binary.LittleEndian.PutUint32(h[12:], v.n)
	binary.LittleEndian.PutUint32(h[16:], uint32(v.size))
	return h
}

// body is what follows the header.
func (v version) body(run uint64) content.Content {
	seed := run ^ uint64(v.name)<<48 ^ uint64(v.client)<<24 ^ uint64(v.n)*0x9e3779b97f4a7c15
	return content.Tiled(v.size-HeaderLen, seed)
}

// reader yields the whole file.
func (v version) reader(run uint64) io.Reader {
	h := v.header()
	return io.MultiReader(bytes.NewReader(h[:]), v.body(run).Reader())
}

// parseHeader reads a file's header; ok is false when b is no header.
func parseHeader(b []byte) (v version, ok bool) {
	if len(b) < HeaderLen || !bytes.Equal(b[:4], magic[:]) {
		return version{}, false
	}
	v = version{
		name:   binary.LittleEndian.Uint32(b[4:]),
		client: binary.LittleEndian.Uint32(b[8:]),
		n:      binary.LittleEndian.Uint32(b[12:]),
		size:   int64(binary.LittleEndian.Uint32(b[16:])),
	}
	return v, v.size >= HeaderLen
}
