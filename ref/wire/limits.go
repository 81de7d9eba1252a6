package wire

import "math"

const (
	// DefaultMaxName is the reference limit on a filename's length (SPEC ).
	DefaultMaxName = 255
	// DefaultMaxPayload is the largest size the 4-byte size field can state. The codec never
	// holds a payload in memory, so accepting the whole range costs no memory; a server that
	// must protect its disk sets a lower limit.
	DefaultMaxPayload = math.MaxUint32
	// MaxNameField is the largest name_len the 2-byte field can state.
	MaxNameField = math.MaxUint16
)

// Limits bounds what a decoder accepts. Each is checked as soon as its length field is read,
// before any byte of the field it announces is read or any memory is set aside for it.
//
// A zero field takes its default; no value means "unlimited".
type Limits struct {
	MaxName    int    // longest filename accepted, in bytes
	MaxPayload uint32 // largest size accepted, in bytes
}

// DefaultLimits are the reference server's limits.
var DefaultLimits = Limits{MaxName: DefaultMaxName, MaxPayload: DefaultMaxPayload}

func (l Limits) withDefaults() Limits {
	if l.MaxName <= 0 {
		l.MaxName = DefaultMaxName
	}
	if l.MaxName > MaxNameField {
		l.MaxName = MaxNameField
	}
	if l.MaxPayload == 0 {
		l.MaxPayload = DefaultMaxPayload
	}
	return l
}
