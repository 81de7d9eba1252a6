package build

import (
	"bytes"
	"fmt"

	"github.com/fbpkit/fbp/ref/wire"
	"github.com/fbpkit/fbp/vectors/schema"
)

const (
	statusRestored    = int(wire.StatusRestored)
	statusListed      = int(wire.StatusListed)
	statusOK          = int(wire.StatusOK)
	statusNotExist    = int(wire.StatusNotExist)
	statusNoFiles     = int(wire.StatusNoFiles)
	statusServerError = int(wire.StatusServerError)
)

// statusSlug names a status in vector ids.
var statusSlug = map[int]string{
	statusRestored: "restored", statusListed: "listed", statusOK: "ok",
	statusNotExist: "not-exist", statusNoFiles: "no-files", statusServerError: "server-error",
}

func resp(status int, name string, payload []byte) meaning {
	return meaning{message: "response", version: 1, code: status, name: []byte(name), size: uint32(len(payload)), payload: payload}
}

// rawResponse gives m as a RawResponse, so that one field can be made to lie.
func (m meaning) rawResponse() wire.RawResponse {
	r := wire.Response{Version: m.version, Status: wire.Status(m.code), Name: m.name, Payload: m.payload}
	return r.Raw()
}

func responseFile() (*schema.File, error) {
	b := newFileBuilder("response")
	b.group(referenceComment, referenceLimits)
	b.add(truncated("response/eof", "no byte at all: the server closed without answering",
		[]string{"R-5.6"}, nil, nil))
	restoredResponses(b)
	listedResponses(b)
	for _, s := range []int{statusOK, statusNotExist} {
		nameOnlyResponses(b, s)
	}
	for _, s := range []int{statusNoFiles, statusServerError} {
		bareResponses(b, s)
	}
	unknownStatuses(b)
	b.group(smallComment, smallLimits)
	smallLimitResponses(b)
	return b.file()
}

func restoredResponses(b *fileBuilder) {
	self := []string{"R-4.2"}
	trust := []string{"R-5.6"}
	m := resp(statusRestored, "notes.txt", hello)
	b.valid("response/restored/basic", "RESTORE succeeded: the file's name, size and content", self, m.encode(), m)

	m = resp(statusRestored, "empty.txt", []byte{})
	b.valid("response/restored/zero-length", "a zero-length file restored: size 0 and no payload byte",
		[]string{"R-4.2", "R-4.1"}, m.encode(), m)

	m = resp(statusRestored, "bytes.bin", allByteValues)
	b.valid("response/restored/all-byte-values", "a binary payload holding every byte value 0x00-0xff once, in order",
		self, m.encode(), m)

	m = resp(statusRestored, string(name255), []byte("x"))
	b.valid("response/restored/name-255", "a name of exactly the reference limit, 255 bytes",
		[]string{"R-4.2", "R-1.2"}, m.encode(), m)

	m = resp(statusRestored, "../../.bashrc", []byte("x"))
	b.valid("response/restored/name-traversal",
		"a server may send any name: it decodes, and a client must never write under it (R-5.6)", trust, m.encode(), m)

	m = resp(statusRestored, "a\nb", []byte("x"))
	b.valid("response/restored/name-with-control",
		"a name holding a newline decodes (name_hex, as it is not printable); a client must not trust it (R-5.6)",
		trust, m.encode(), m)

	m = resp(statusRestored, "v.txt", []byte("x"))
	m.version = 2
	b.valid("response/restored/version-2", "version 2: decoding does not judge versions", []string{"R-4.2", "R-5.6"}, m.encode(), m)

	m = resp(statusRestored, "a.txt", []byte("abc"))
	b.valid("response/restored/trailing-bytes",
		"a restore-ok followed by a server error response on the same stream: the second message is left unread",
		[]string{"R-4.2", "R-1.3"}, cat(m.encode(), resp(statusServerError, "", nil).encode()), m)

	raw := resp(statusRestored, "short.txt", []byte("hello")).rawResponse()
	raw.Size = u32(2)
	m = resp(statusRestored, "short.txt", []byte("he"))
	b.valid("response/restored/size-shorter-than-payload",
		"size 2 over the 5 bytes \"hello\": the response holds \"he\"; \"llo\" is trailing input, not part of it",
		trust, raw.Append(nil), m)

	raw = resp(statusRestored, "long.txt", []byte("hi")).rawResponse()
	raw.Size = u32(10)
	msg := raw.Append(nil)
	b.invalid("response/restored/size-longer-than-payload", "size 10 but only 2 payload bytes follow: truncated in the payload",
		trust, msg, schema.ClassTruncated, fieldPayload, len(msg))

	raw = resp(statusRestored, "abcdef", []byte("hello")).rawResponse()
	raw.NameLen = u16(3)
	msg = raw.Append(nil)
	b.nameLenShorter("response/restored/name-len-shorter", trust, msg, 12)

	raw = resp(statusRestored, "abc", []byte("hi")).rawResponse()
	raw.NameLen = u16(20)
	msg = raw.Append(nil)
	b.invalid("response/restored/name-len-longer",
		"name_len 20 but the name \"abc\", size and payload make 9 bytes: truncated in the filename",
		trust, msg, schema.ClassTruncated, fieldFilename, len(msg))

	raw = resp(statusRestored, string(bytes.Repeat([]byte("n"), 256)), []byte("x")).rawResponse()
	b.invalid("response/restored/name-len-256",
		"name_len 256, one over the reference limit, with all 256 bytes present: refused right after name_len",
		trust, raw.Append(nil), schema.ClassNameTooLong, fieldNameLen, 5)

	m = meaning{message: "response", version: 1, code: statusRestored, name: []byte("huge.bin"), size: wire.DefaultMaxPayload, headerOnly: true}
	head := m.encode()
	b.valid("response/restored/size-4294967295",
		"size 4294967295, the largest the field states and the reference limit: a valid header (the payload is not in the vector)",
		trust, head, m)
	msg = cat(head, []byte("abc"))
	b.invalid("response/restored/size-4294967295-cut", "size 4294967295 followed by 3 payload bytes: truncated in the payload",
		trust, msg, schema.ClassTruncated, fieldPayload, len(msg))
}

func listedResponses(b *fileBuilder) {
	m := resp(statusListed, string(listedName), []byte("mmn14.pdf\nnotes.txt\n"))
	b.valid("response/listed/basic", "LIST succeeded: a 32-character random name and the listing, one name per line",
		[]string{"R-4.4"}, m.encode(), m)

	m = resp(statusListed, string(listedName), []byte("a.txt\r\nb.txt"))
	b.valid("response/listed/crlf-no-final-newline",
		"a listing with \\r\\n and no final newline (R-4.4 asks readers to accept it): the payload is carried as it is",
		[]string{"R-4.4"}, m.encode(), m)
}

// nameOnlyResponses adds the vectors of OK or not-found, which carry a name and nothing after it.
func nameOnlyResponses(b *fileBuilder, status int) {
	slug := statusSlug[status]
	id := func(s string) string { return "response/" + slug + "/" + s }
	self := map[int][]string{statusOK: {"R-4.1", "R-4.3"}, statusNotExist: {"R-4.2", "R-4.3"}}[status]
	trust := []string{"R-5.6"}

	m := resp(status, "notes.txt", nil)
	b.valid(id("basic"), fmt.Sprintf("%v with the file's name", wire.Status(status)), self, m.encode(), m)

	m = resp(status, "", nil)
	b.valid(id("empty-name"), "name_len 0: the message decodes", trust, m.encode(), m)

	m = resp(status, "v.txt", nil)
	m.version = map[int]uint8{statusOK: 2, statusNotExist: 0}[status]
	b.valid(id(fmt.Sprintf("version-%d", m.version)), "decoding does not judge versions", trust, m.encode(), m)

	m = resp(status, "a.txt", nil)
	b.valid(id("trailing-bytes"),
		fmt.Sprintf("%v carries no size: the 9 bytes after the name, which look like a size and a payload, are left unread",
			wire.Status(status)),
		append(self, "R-1.3"), cat(m.encode(), []byte("\x05\x00\x00\x00hello")), m)

	raw := resp(status, "abcdef", nil).rawResponse()
	raw.NameLen = u16(3)
	m = resp(status, "abc", nil)
	b.valid(id("name-len-shorter"),
		fmt.Sprintf("name_len 3 over the name \"abcdef\": a whole %v of \"abc\" (8 bytes); \"def\" is trailing input", wire.Status(status)),
		trust, raw.Append(nil), m)

	raw = resp(status, "abc", nil).rawResponse()
	raw.NameLen = u16(10)
	msg := raw.Append(nil)
	b.invalid(id("name-len-longer"), "name_len 10 but 3 name bytes follow: truncated in the filename",
		trust, msg, schema.ClassTruncated, fieldFilename, len(msg))

	raw = resp(status, string(bytes.Repeat([]byte("n"), 256)), nil).rawResponse()
	b.invalid(id("name-len-256"), "name_len 256, one over the reference limit: refused right after name_len",
		trust, raw.Append(nil), schema.ClassNameTooLong, fieldNameLen, 5)
}

// bareResponses adds the vectors of no-files or server-error: 3 bytes in all.
func bareResponses(b *fileBuilder, status int) {
	slug := statusSlug[status]
	id := func(s string) string { return "response/" + slug + "/" + s }
	self := map[int][]string{statusNoFiles: {"R-4.4"}, statusServerError: {"R-5.1", "R-5.2", "R-5.4", "R-5.5"}}[status]

	m := resp(status, "", nil)
	b.valid(id("basic"), fmt.Sprintf("%v: version and status, 3 bytes in all", wire.Status(status)), self, m.encode(), m)

	m.version = map[int]uint8{statusNoFiles: 2, statusServerError: 0}[status]
	b.valid(id(fmt.Sprintf("version-%d", m.version)), "decoding does not judge versions", []string{"R-5.6"}, m.encode(), m)

	m = resp(status, "", nil)
	b.valid(id("trailing-bytes"),
		fmt.Sprintf("%v is complete after 3 bytes: what follows, which looks like name_len and a name, is left unread",
			wire.Status(status)),
		append(self, "R-1.3"), cat(m.encode(), []byte("\x09\x00mmn14.pdf")), m)
}

func unknownStatuses(b *fileBuilder) {
	for _, s := range []uint16{0, 200, 213, 1000, 1004, 65535} {
		raw := wire.RawResponse{Version: 1, Status: s, Fields: wire.HasName, Name: []byte("abc")}
		b.invalid(fmt.Sprintf("response/unknown-status/%d", s),
			fmt.Sprintf("status %d is not defined: decoding stops after status; the name_len and name after it are not read", s),
			[]string{"R-5.6"}, raw.Append(nil), schema.ClassUnknownStatus, fieldStatus, 3)
	}
	raw := wire.RawResponse{Version: 1, Status: 213}
	b.invalid("response/unknown-status/213-alone", "status 213 and nothing after it: unknown_status, not truncated",
		[]string{"R-5.6"}, raw.Append(nil), schema.ClassUnknownStatus, fieldStatus, 3)
}

func smallLimitResponses(b *fileBuilder) {
	trust := []string{"R-5.6"}
	m := resp(statusRestored, string(name16), []byte("x"))
	b.valid("response/restored/name-16-at-small-limit", "a name of exactly the group's limit, 16 bytes", trust, m.encode(), m)

	for _, s := range []int{statusRestored, statusOK, statusNotExist} {
		m = resp(s, string(name17), nil)
		if s == statusRestored {
			m = resp(s, string(name17), []byte("x"))
		}
		b.invalid("response/"+statusSlug[s]+"/name-17-over-small-limit",
			"name_len 17, one over the group's limit, all bytes present: refused right after name_len",
			trust, m.encode(), schema.ClassNameTooLong, fieldNameLen, 5)
	}

	m = resp(statusListed, string(listedName), []byte("a.txt\n"))
	b.invalid("response/listed/name-32-over-small-limit",
		"list-ok always carries a 32-byte name: a client whose name limit is under 32 refuses every listing",
		[]string{"R-5.6", "R-4.4"}, m.encode(), schema.ClassNameTooLong, fieldNameLen, 5)

	m = meaning{message: "response", version: 1, code: statusRestored, name: []byte("big.bin"), size: 1 << 20, headerOnly: true}
	b.valid("response/restored/size-1048576-at-small-limit",
		"size 1048576, exactly the group's limit: a valid header (the payload is not in the vector)", trust, m.encode(), m)

	for _, s := range []int{statusRestored, statusListed} {
		for _, size := range []uint32{1<<20 + 1, 0xffffffff} {
			raw := resp(s, "big.bin", []byte("abc")).rawResponse()
			raw.Size = u32(size)
			b.invalid(fmt.Sprintf("response/%s/size-%d-over-small-limit", statusSlug[s], size),
				fmt.Sprintf("size %d is over the group's limit: refused right after size, before the payload", size),
				trust, raw.Append(nil), schema.ClassPayloadTooLarge, fieldSize, 3+2+7+4)
		}
	}

	raw := resp(statusRestored, "abcdef", []byte("hello")).rawResponse()
	raw.NameLen = u16(3)
	b.invalid("response/restored/name-len-shorter-over-small-limit",
		"name_len 3 over the name \"abcdef\": size is read from \"def\\x05\" as 90596708, over the group's limit: payload_too_large",
		trust, raw.Append(nil), schema.ClassPayloadTooLarge, fieldSize, 3+2+3+4)
}
