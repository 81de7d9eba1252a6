// Package wire encodes and decodes FBP, the file backup protocol, as SPEC.md in this folder
// defines it.
//
// Messages are read from a stream with a Reader, which returns a header and leaves the payload
// on the stream behind a reader bounded to its size, and written with a Writer, which takes the
// payload as an io.Reader of known size: a payload of 4 GiB−1 passes through in constant
// memory. Whole small messages are built with Request.Append and Response.Append and decoded
// with ParseRequest and ParseResponse. RawRequest and RawResponse write what the spec forbids,
// for conformance tests and fuzzing.
//
// Every length a peer sends is checked against Limits before the bytes it announces are read,
// and nothing is allocated from it beyond those limits. Decoding errors say which
// message, which field and at which byte offset decoding stopped.
//
// The package imports only the standard library.
package wire
