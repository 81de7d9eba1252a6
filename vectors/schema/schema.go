// Package schema is the format of FBP's golden vector files ("fbp-vectors/1", described in
// vectors/README.md): the types they are parsed into and the checks a parsed file must pass.
// It stands apart from package vectors, which embeds the files, so that the generator that
// writes them builds even when they are missing or broken.
package schema

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/fbpkit/fbp/ref/wire"
)

// Schema is the format every vector file states in its "schema" field.
const Schema = "fbp-vectors/1"

// Values of a message file's "message" field and of Vector.Message.
const (
	MessageRequest  = "request"
	MessageResponse = "response"
)

// Values of a vector's "result" field.
const (
	ResultValid   = "valid"
	ResultInvalid = "invalid"
)

// Values of a vector's "scope" field. An absent scope is ScopeMessage.
const (
	// ScopeMessage: the whole message is checked, payload included.
	ScopeMessage = "message"
	// ScopeHeader: the vector holds a header whose payload is not in the file; only the header
	// is decoded and checked.
	ScopeHeader = "header"
)

// Error classes: the values of an invalid vector's "error"."class".
const (
	ClassEOF             = "eof"               // no byte at all
	ClassTruncated       = "truncated"         // the input ends inside the message
	ClassUnknownOp       = "unknown_op"        // an op the spec does not define
	ClassUnknownStatus   = "unknown_status"    // a status the spec does not define
	ClassNameTooLong     = "name_too_long"     // name_len over the group's max_name
	ClassPayloadTooLarge = "payload_too_large" // size over the group's max_payload
)

// File is a message file: requests.json or responses.json.
type File struct {
	Schema          string            `json:"schema"`
	Message         string            `json:"message"` // MessageRequest or MessageResponse
	Header          []string          `json:"header"`
	NumberOfVectors int               `json:"numberOfVectors"`
	ErrorClasses    map[string]string `json:"errorClasses"` // class: what it means
	Groups          []*Group          `json:"groups"`
}

// Group is vectors that share the decoder's limits.
type Group struct {
	Comment string    `json:"comment"`
	Limits  Limits    `json:"limits"`
	Vectors []*Vector `json:"vectors"`
}

// Limits are the decoder limits a group's vectors are decoded under.
type Limits struct {
	MaxName    int    `json:"max_name"`
	MaxPayload uint32 `json:"max_payload"`
}

// Wire returns l as the codec's limits.
func (l Limits) Wire() wire.Limits { return wire.Limits{MaxName: l.MaxName, MaxPayload: l.MaxPayload} }

// Vector is one message's bytes and what decoding them must give.
type Vector struct {
	ID           string     `json:"id"`           // stable, e.g. "request/restore/basic/truncated-at-7"
	Requirements []string   `json:"requirements"` // SPEC.md IDs, e.g. "R-2.2"
	Comment      string     `json:"comment"`
	Scope        string     `json:"scope,omitempty"` // "" or ScopeMessage, or ScopeHeader
	Hex          string     `json:"hex"`
	Result       string     `json:"result"`             // ResultValid or ResultInvalid
	Decoded      *Decoded   `json:"decoded,omitempty"`  // valid only
	Consumed     int        `json:"consumed,omitempty"` // valid only: bytes the message uses; the rest is trailing
	Error        *ErrorSpec `json:"error,omitempty"`    // invalid only

	// Set by Load from the file and group the vector is in.
	Message string      `json:"-"` // MessageRequest or MessageResponse
	Limits  wire.Limits `json:"-"`
	Bytes   []byte      `json:"-"` // Hex decoded
}

// Valid reports whether the vector's bytes start with a message a decoder must accept.
func (v *Vector) Valid() bool { return v.Result == ResultValid }

// HeaderOnly reports whether only the vector's header is to be decoded (ScopeHeader).
func (v *Vector) HeaderOnly() bool { return v.Scope == ScopeHeader }

// Decoded is the content of a valid vector's message: the fields it carries, no others.
// Requests have UserID and Op, responses Status. Name or NameHex is set when the op or status
// carries a name (NameHex when it is not printable ASCII), Size when it carries a payload, and
// PayloadHex too unless the vector is header-scoped.
type Decoded struct {
	UserID     *uint32      `json:"user_id,omitempty"`
	Version    uint8        `json:"version"`
	Op         *wire.Op     `json:"op,omitempty"`
	Status     *wire.Status `json:"status,omitempty"`
	Name       *string      `json:"name,omitempty"`
	NameHex    *string      `json:"name_hex,omitempty"`
	Size       *uint32      `json:"size,omitempty"`
	PayloadHex *string      `json:"payload_hex,omitempty"`

	name, payload []byte // set by Load from Name or NameHex, and PayloadHex
}

// NameBytes returns the filename, from Name or NameHex; nil if the message carries none. Like
// Payload, it is filled in by Load.
func (d *Decoded) NameBytes() []byte { return d.name }

// Payload returns the payload; nil if the message carries none or the vector is header-scoped.
func (d *Decoded) Payload() []byte { return d.payload }

// Request returns the request d describes. Its Payload is nil for a header-scoped vector:
// compare Size with the decoded header instead.
func (d *Decoded) Request() wire.Request {
	r := wire.Request{Version: d.Version, Name: d.name, Payload: d.payload}
	if d.UserID != nil {
		r.UserID = *d.UserID
	}
	if d.Op != nil {
		r.Op = *d.Op
	}
	return r
}

// Response returns the response d describes, as Request does.
func (d *Decoded) Response() wire.Response {
	r := wire.Response{Version: d.Version, Name: d.name, Payload: d.payload}
	if d.Status != nil {
		r.Status = *d.Status
	}
	return r
}

// ErrorSpec is the error an invalid vector must give: its class and, but for ClassEOF, the field
// being read and the offset where decoding stopped (wire.Error's Field and Offset).
type ErrorSpec struct {
	Class  string `json:"class"`
	Field  string `json:"field,omitempty"`
	Offset *int64 `json:"offset,omitempty"`
}

// Target returns the error that errors.Is must match for this class: io.EOF,
// io.ErrUnexpectedEOF, wire.ErrUnknownOp, wire.ErrUnknownStatus, wire.ErrNameTooLong or
// wire.ErrPayloadTooLarge; nil for a class it does not know.
func (e *ErrorSpec) Target() error {
	return classTargets[e.Class]
}

var classTargets = map[string]error{
	ClassEOF:             io.EOF,
	ClassTruncated:       io.ErrUnexpectedEOF,
	ClassUnknownOp:       wire.ErrUnknownOp,
	ClassUnknownStatus:   wire.ErrUnknownStatus,
	ClassNameTooLong:     wire.ErrNameTooLong,
	ClassPayloadTooLarge: wire.ErrPayloadTooLarge,
}

// NameFile is names.json: filenames and whether wire.CheckName accepts them (SPEC ).
type NameFile struct {
	Schema          string            `json:"schema"`
	Kind            string            `json:"kind"` // "filename"
	Header          []string          `json:"header"`
	NumberOfVectors int               `json:"numberOfVectors"`
	ReasonClasses   map[string]string `json:"reasonClasses"` // reason: what it means
	Groups          []*NameGroup      `json:"groups"`
}

// NameGroup is name vectors checked against the same limit.
type NameGroup struct {
	Comment string        `json:"comment"`
	Limits  NameLimits    `json:"limits"`
	Vectors []*NameVector `json:"vectors"`
}

// NameLimits is the longest name a NameGroup accepts.
type NameLimits struct {
	MaxName int `json:"max_name"`
}

// NameVector is one filename and the verdict on it.
type NameVector struct {
	ID           string   `json:"id"`
	Requirements []string `json:"requirements"`
	Comment      string   `json:"comment"`
	NameHex      string   `json:"name_hex"`
	Result       string   `json:"result"`           // ResultValid or ResultInvalid
	Reason       string   `json:"reason,omitempty"` // invalid only: the first rule broken, a key of ReasonClasses

	// Set by Load.
	Name    []byte `json:"-"` // NameHex decoded
	MaxName int    `json:"-"` // the group's limit
}

// Prepare checks a parsed message file against the schema and fills in what the files leave
// implicit: each vector's message, limits and bytes, and its decoded name and payload.
func (f *File) Prepare(message string) error {
	if f.Schema != Schema {
		return fmt.Errorf("schema %q, want %q", f.Schema, Schema)
	}
	if f.Message != message {
		return fmt.Errorf("message %q, want %q", f.Message, message)
	}
	n := 0
	for _, g := range f.Groups {
		for _, v := range g.Vectors {
			if err := v.prepare(message, g.Limits.Wire()); err != nil {
				return fmt.Errorf("vector %s: %w", v.ID, err)
			}
			n++
		}
	}
	if n != f.NumberOfVectors {
		return fmt.Errorf("numberOfVectors %d, but %d vectors", f.NumberOfVectors, n)
	}
	return nil
}

func (v *Vector) prepare(message string, lim wire.Limits) error {
	v.Message, v.Limits = message, lim
	var err error
	if v.Bytes, err = hex.DecodeString(v.Hex); err != nil {
		return fmt.Errorf("hex: %w", err)
	}
	switch v.Scope {
	case "", ScopeMessage, ScopeHeader:
	default:
		return fmt.Errorf("unknown scope %q", v.Scope)
	}
	switch v.Result {
	case ResultValid:
		if v.Decoded == nil || v.Error != nil || v.Consumed <= 0 || v.Consumed > len(v.Bytes) {
			return errors.New("a valid vector needs decoded, no error and a consumed within its bytes")
		}
		return v.Decoded.prepare()
	case ResultInvalid:
		if v.Error == nil || v.Decoded != nil || v.Consumed != 0 || v.HeaderOnly() {
			return errors.New("an invalid vector needs an error, no decoded, no consumed and message scope")
		}
		if v.Error.Target() == nil {
			return fmt.Errorf("unknown error class %q", v.Error.Class)
		}
		if (v.Error.Class == ClassEOF) != (v.Error.Offset == nil) {
			return errors.New("an offset is given for every class but eof")
		}
		return nil
	}
	return fmt.Errorf("unknown result %q", v.Result)
}

func (d *Decoded) prepare() error {
	switch {
	case d.Name != nil && d.NameHex != nil:
		return errors.New("both name and name_hex")
	case d.Name != nil:
		d.name = []byte(*d.Name)
	case d.NameHex != nil:
		var err error
		if d.name, err = hex.DecodeString(*d.NameHex); err != nil {
			return fmt.Errorf("name_hex: %w", err)
		}
	}
	if d.PayloadHex != nil {
		var err error
		if d.payload, err = hex.DecodeString(*d.PayloadHex); err != nil {
			return fmt.Errorf("payload_hex: %w", err)
		}
	}
	return nil
}

// Prepare checks a parsed name file against the schema and fills in each vector's name bytes
// and limit.
func (f *NameFile) Prepare() error {
	if f.Schema != Schema {
		return fmt.Errorf("schema %q, want %q", f.Schema, Schema)
	}
	n := 0
	for _, g := range f.Groups {
		for _, v := range g.Vectors {
			var err error
			if v.Name, err = hex.DecodeString(v.NameHex); err != nil {
				return fmt.Errorf("vector %s: name_hex: %w", v.ID, err)
			}
			if (v.Result == ResultInvalid) != (v.Reason != "") || (v.Result != ResultValid && v.Result != ResultInvalid) {
				return fmt.Errorf("vector %s: result %q with reason %q", v.ID, v.Result, v.Reason)
			}
			v.MaxName = g.Limits.MaxName
			n++
		}
	}
	if n != f.NumberOfVectors {
		return fmt.Errorf("numberOfVectors %d, but %d vectors", f.NumberOfVectors, n)
	}
	return nil
}

// Vectors returns every vector of f, in file order.
func (f *File) Vectors() []*Vector {
	var out []*Vector
	for _, g := range f.Groups {
		out = append(out, g.Vectors...)
	}
	return out
}
