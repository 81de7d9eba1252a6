package build

// The JSON shapes below are written independently of package vectors, which embeds the files
// this package makes: the generator must run even when those files are missing or broken.
// vectors.Load rejects unknown fields, so a shape that drifts from vectors' types fails its tests.

// Schema names the format of every file.
const Schema = "fbp-vectors/1"

const (
	resultValid   = "valid"
	resultInvalid = "invalid"
	scopeHeader   = "header"
)

// Error classes, as the files spell them.
const (
	classEOF             = "eof"
	classTruncated       = "truncated"
	classUnknownOp       = "unknown_op"
	classUnknownStatus   = "unknown_status"
	classNameTooLong     = "name_too_long"
	classPayloadTooLarge = "payload_too_large"
)

// Field names, as SPEC §2 and §3 spell them.
const (
	fieldUserID   = "user_id"
	fieldVersion  = "version"
	fieldOp       = "op"
	fieldStatus   = "status"
	fieldNameLen  = "name_len"
	fieldFilename = "filename"
	fieldSize     = "size"
	fieldPayload  = "payload"
)

var errorClasses = map[string]string{
	classEOF:             "the input holds no byte at all: the stream ended cleanly before a message; no field or offset",
	classTruncated:       "the input ends inside the message; field is the field the first missing byte belongs to, offset the number of bytes there are (all of them were read)",
	classUnknownOp:       "op is not 100, 200, 201 or 202: the rest of the layout is unknown, so decoding stops right after op (field op, offset 6)",
	classUnknownStatus:   "status is not 210, 211, 212, 1001, 1002 or 1003: decoding stops right after status (field status, offset 3)",
	classNameTooLong:     "name_len is over the group's max_name: decoding stops right after name_len, before any byte of the filename (field name_len)",
	classPayloadTooLarge: "size is over the group's max_payload: decoding stops right after size, before any byte of the payload (field size)",
}

var reasonClasses = map[string]string{
	"empty":     "the name has no bytes (R-5.1)",
	"too_long":  "the name is longer than the group's max_name (R-5.1)",
	"dot":       "the name is exactly \".\" or \"..\" (R-5.1)",
	"separator": "the name holds '/' (0x2f) or '\\' (0x5c) (R-5.1)",
	"nul":       "the name holds a NUL byte (R-5.1)",
	"control":   "the name holds a control character: 0x01-0x1f or 0x7f (R-5.1)",
	"non_ascii": "the name holds a byte above 0x7f: filenames are ASCII (R-1.2)",
}

type limits struct {
	MaxName    int    `json:"max_name"`
	MaxPayload uint32 `json:"max_payload"`
}

type messageFile struct {
	Schema          string            `json:"schema"`
	Message         string            `json:"message"`
	Header          []string          `json:"header"`
	NumberOfVectors int               `json:"numberOfVectors"`
	ErrorClasses    map[string]string `json:"errorClasses"`
	Groups          []*group          `json:"groups"`
}

type group struct {
	Comment string    `json:"comment"`
	Limits  limits    `json:"limits"`
	Vectors []*vector `json:"vectors"`
}

type vector struct {
	ID           string     `json:"id"`
	Requirements []string   `json:"requirements"`
	Comment      string     `json:"comment"`
	Scope        string     `json:"scope,omitempty"`
	Hex          string     `json:"hex"`
	Result       string     `json:"result"`
	Decoded      *decoded   `json:"decoded,omitempty"`
	Consumed     int        `json:"consumed,omitempty"`
	Error        *errorSpec `json:"error,omitempty"`
}

type decoded struct {
	UserID     *uint32 `json:"user_id,omitempty"`
	Version    uint8   `json:"version"`
	Op         *uint8  `json:"op,omitempty"`
	Status     *uint16 `json:"status,omitempty"`
	Name       *string `json:"name,omitempty"`
	NameHex    *string `json:"name_hex,omitempty"`
	Size       *uint32 `json:"size,omitempty"`
	PayloadHex *string `json:"payload_hex,omitempty"`
}

type errorSpec struct {
	Class  string `json:"class"`
	Field  string `json:"field,omitempty"`
	Offset *int   `json:"offset,omitempty"`
}

type nameFile struct {
	Schema          string            `json:"schema"`
	Kind            string            `json:"kind"`
	Header          []string          `json:"header"`
	NumberOfVectors int               `json:"numberOfVectors"`
	ReasonClasses   map[string]string `json:"reasonClasses"`
	Groups          []*nameGroup      `json:"groups"`
}

type nameGroup struct {
	Comment string        `json:"comment"`
	Limits  nameLimits    `json:"limits"`
	Vectors []*nameVector `json:"vectors"`
}

type nameLimits struct {
	MaxName int `json:"max_name"`
}

type nameVector struct {
	ID           string   `json:"id"`
	Requirements []string `json:"requirements"`
	Comment      string   `json:"comment"`
	NameHex      string   `json:"name_hex"`
	Result       string   `json:"result"`
	Reason       string   `json:"reason,omitempty"`
}
