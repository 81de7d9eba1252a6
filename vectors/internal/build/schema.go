package build

import "github.com/fbpkit/fbp/vectors/schema"

// The files' shapes are package vectors/schema's, which does not embed the files this package
// makes: the generator must run even when those files are missing or broken.

// Schema names the format of every file.
const Schema = schema.Schema

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
	schema.ClassEOF:             "the input holds no byte at all: the stream ended cleanly before a message; no field or offset",
	schema.ClassTruncated:       "the input ends inside the message; field is the field the first missing byte belongs to, offset the number of bytes there are (all of them were read)",
	schema.ClassUnknownOp:       "op is not 100, 200, 201 or 202: the rest of the layout is unknown, so decoding stops right after op (field op, offset 6)",
	schema.ClassUnknownStatus:   "status is not 210, 211, 212, 1001, 1002 or 1003: decoding stops right after status (field status, offset 3)",
	schema.ClassNameTooLong:     "name_len is over the group's max_name: decoding stops right after name_len, before any byte of the filename (field name_len)",
	schema.ClassPayloadTooLarge: "size is over the group's max_payload: decoding stops right after size, before any byte of the payload (field size)",
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
