package build

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/fbpkit/fbp/ref/wire"
	"github.com/fbpkit/fbp/vectors/schema"
)

// exampleHex is SPEC R-2.2's example header, copied from the spec byte for byte.
const exampleHex = "d2040000" + "01" + "64" + "0900" + "6d6d6e31342e706466" + "05720000"

// userID shows the byte order at a glance: it is written 44 33 22 11.
const userID = 0x11223344

const (
	opBackup  = int(wire.OpBackup)
	opRestore = int(wire.OpRestore)
	opDelete  = int(wire.OpDelete)
	opList    = int(wire.OpList)
)

func req(op int, name string, payload []byte) meaning {
	return meaning{message: "request", userID: userID, version: 1, code: op, name: []byte(name), size: uint32(len(payload)), payload: payload}
}

// rawRequest gives m as a RawRequest, so that one field can be made to lie.
func (m meaning) rawRequest() wire.RawRequest {
	r := wire.Request{UserID: m.userID, Version: m.version, Op: wire.Op(m.code), Name: m.name, Payload: m.payload}
	return r.Raw()
}

func requestFile() (*schema.File, error) {
	b := newFileBuilder("request")
	b.group(referenceComment, referenceLimits)
	b.add(truncated("request/eof", "no byte at all: the peer closed before a request, as it may between requests",
		[]string{"R-1.3", "R-5.3"}, nil, nil))
	exampleRequests(b)
	backupRequests(b)
	nameRequests(b, opRestore, "restore")
	nameRequests(b, opDelete, "delete")
	listRequests(b)
	unknownOps(b)
	b.group(smallComment, smallLimits)
	smallLimitRequests(b)
	return b.file()
}

func exampleRequests(b *fileBuilder) {
	// The spec's own bytes, not the encoder's, are the reference here.
	want, err := hex.DecodeString(exampleHex)
	if err != nil {
		b.fail("example: %v", err)
		return
	}
	m := meaning{message: "request", userID: 1234, version: 1, code: opBackup, name: []byte("mmn14.pdf"), size: 29189, headerOnly: true}
	if i := bytes.Index(want, []byte{0x05, 0x72, 0, 0}); i != 17 {
		b.fail("example: size at offset %d, the spec says 17", i)
	}
	b.valid("request/backup/exercise-example",
		"SPEC R-2.2 byte for byte: BACKUP by user 1234 of mmn14.pdf, 29189 bytes; size starts at offset 17. "+
			"The payload is not in the vector: only the header is checked",
		[]string{"R-2.2", "R-1.1", "R-4.1"}, want, m)
	pdf := []byte("%PDF-1.6")
	for k := 0; k <= len(pdf); k++ {
		comment := ""
		if k == len(pdf) {
			comment = "SPEC R-2.2's example as far as the spec shows it: the header and \"%PDF-1.6\", 8 of the 29189 payload bytes"
		}
		mm := m
		mm.headerOnly = false
		msg := cat(want, pdf[:k])
		b.add(truncated(fmt.Sprintf("request/backup/exercise-example/truncated-at-%d", len(msg)), comment,
			[]string{"R-2.2", "R-5.3"}, msg, &mm))
	}
}

func backupRequests(b *fileBuilder) {
	r4 := []string{"R-4.1"}
	m := req(opBackup, "notes.txt", hello)
	b.valid("request/backup/basic", "a small text file; user_id 0x11223344 shows the little-endian order (R-1.1)",
		[]string{"R-4.1", "R-1.1"}, m.encode(), m)

	m = req(opBackup, "empty.txt", []byte{})
	b.valid("request/backup/zero-length", "a zero-length file: size 0 and no payload byte", r4, m.encode(), m)

	m = req(opBackup, "bytes.bin", allByteValues)
	b.valid("request/backup/all-byte-values", "a binary payload holding every byte value 0x00-0xff once, in order", r4, m.encode(), m)

	m = req(opBackup, string(name255), []byte("x"))
	b.valid("request/backup/name-255", "a name of exactly the reference limit, 255 bytes", []string{"R-5.1", "R-1.2"}, m.encode(), m)

	m = req(opBackup, "", []byte("x"))
	b.valid("request/backup/empty-name",
		"name_len 0: the message decodes; an empty name is the server's to refuse (R-5.1: 1003)", []string{"R-5.1"}, m.encode(), m)

	m = req(opBackup, "a\x00b", []byte("x"))
	b.valid("request/backup/name-with-nul",
		"a name holding NUL decodes (name_hex, as it is not printable); the server must refuse it (R-5.1)",
		[]string{"R-5.1", "R-1.2"}, m.encode(), m)

	m = req(opBackup, "../../etc/passwd", []byte("x"))
	b.valid("request/backup/name-traversal",
		"a name that climbs out of the user's folder decodes; the server must refuse it (R-5.1)", []string{"R-5.1"}, m.encode(), m)

	m = req(opBackup, "v2.txt", []byte("x"))
	m.version = 2
	b.valid("request/backup/version-2", "version 2: decoding does not judge versions (R-5.2 leaves that to the server)",
		[]string{"R-5.2"}, m.encode(), m)

	m = req(opBackup, "next.txt", []byte("abc"))
	list := req(opList, "", nil)
	b.valid("request/backup/trailing-bytes",
		"a BACKUP followed by a LIST on the same stream: the LIST is not part of the BACKUP and is left unread",
		[]string{"R-4.1", "R-1.3"}, cat(m.encode(), list.encode()), m)

	// size states fewer bytes than the sender put after it: the message ends early and the rest
	// would be read as the next request.
	raw := req(opBackup, "short.txt", []byte("hello")).rawRequest()
	raw.Size = u32(2)
	m = req(opBackup, "short.txt", []byte("he"))
	b.valid("request/backup/size-shorter-than-payload",
		"size 2 over the 5 bytes \"hello\": the BACKUP holds \"he\"; \"llo\" is trailing input, not part of it",
		[]string{"R-4.1", "R-1.3"}, raw.Append(nil), m)

	raw = req(opBackup, "long.txt", []byte("hi")).rawRequest()
	raw.Size = u32(10)
	msg := raw.Append(nil)
	b.invalid("request/backup/size-longer-than-payload",
		"size 10 but only 2 payload bytes follow: truncated in the payload", []string{"R-5.3"},
		msg, schema.ClassTruncated, fieldPayload, len(msg))

	raw = req(opBackup, "abcdef", []byte("hello")).rawRequest()
	raw.NameLen = u16(3)
	msg = raw.Append(nil)
	b.nameLenShorter("request/backup/name-len-shorter", []string{"R-1.2", "R-5.3"}, msg, 15)

	raw = req(opBackup, "abc", []byte("hi")).rawRequest()
	raw.NameLen = u16(20)
	msg = raw.Append(nil)
	b.invalid("request/backup/name-len-longer",
		"name_len 20 but the name \"abc\", size and payload make 9 bytes: truncated in the filename",
		[]string{"R-1.2", "R-5.3"}, msg, schema.ClassTruncated, fieldFilename, len(msg))

	raw.NameLen = u16(7)
	msg = raw.Append(nil)
	b.invalid("request/backup/name-len-longer-swallows-size",
		"name_len 7 takes \"abc\" and the 4 size bytes as the name; size is then read from the 2 payload bytes: truncated in size",
		[]string{"R-1.2", "R-5.3"}, msg, schema.ClassTruncated, fieldSize, len(msg))

	raw = req(opBackup, string(bytes.Repeat([]byte("n"), 256)), []byte("x")).rawRequest()
	b.invalid("request/backup/name-len-256",
		"name_len 256, one over the reference limit, with all 256 bytes present: refused right after name_len",
		[]string{"R-5.4", "R-5.1"}, raw.Append(nil), schema.ClassNameTooLong, fieldNameLen, 8)

	raw = req(opBackup, "abc", nil).rawRequest()
	raw.NameLen = u16(0xffff)
	b.invalid("request/backup/name-len-65535",
		"name_len 65535 with 7 bytes after it: the limit is checked before the name is read, so the error is name_too_long, not truncated",
		[]string{"R-5.4"}, raw.Append(nil), schema.ClassNameTooLong, fieldNameLen, 8)

	m = meaning{message: "request", userID: userID, version: 1, code: opBackup, name: []byte("huge.bin"), size: wire.DefaultMaxPayload, headerOnly: true}
	head := m.encode()
	b.valid("request/backup/size-4294967295",
		"size 4294967295, the largest the field states and the reference limit: a valid header (the payload is not in the vector)",
		[]string{"R-5.4", "R-1.1"}, head, m)
	msg = cat(head, []byte("abc"))
	b.invalid("request/backup/size-4294967295-cut",
		"size 4294967295 followed by 3 payload bytes: truncated in the payload", []string{"R-5.3", "R-5.4"},
		msg, schema.ClassTruncated, fieldPayload, len(msg))
}

// nameRequests adds the vectors of RESTORE or DELETE, which carry a name and nothing after it.
func nameRequests(b *fileBuilder, op int, opName string) {
	id := func(s string) string { return "request/" + opName + "/" + s }
	self := []string{map[int]string{opRestore: "R-4.2", opDelete: "R-4.3"}[op]}

	m := req(op, "notes.txt", nil)
	b.valid(id("basic"), opName+" of notes.txt; user_id 0x11223344 shows the little-endian order (R-1.1)",
		append(self, "R-1.1"), m.encode(), m)

	m = req(op, "", nil)
	b.valid(id("empty-name"), "name_len 0: the message decodes; an empty name is the server's to refuse (R-5.1)",
		[]string{"R-5.1"}, m.encode(), m)

	bad := map[int]string{opRestore: `..\..\boot.ini`, opDelete: ".."}[op]
	m = req(op, bad, nil)
	b.valid(id("name-traversal"), fmt.Sprintf("the name %q decodes; the server must refuse it (R-5.1)", bad),
		[]string{"R-5.1"}, m.encode(), m)

	m = req(op, "v.txt", nil)
	m.version = map[int]uint8{opRestore: 255, opDelete: 0}[op]
	b.valid(id(fmt.Sprintf("version-%d", m.version)), "decoding does not judge versions (R-5.2 leaves that to the server)",
		[]string{"R-5.2"}, m.encode(), m)

	m = req(op, "a.txt", nil)
	b.valid(id("trailing-bytes"),
		opName+" carries no size: the 9 bytes after the name, which look like a size and a payload, are left unread",
		append(self, "R-1.3"), cat(m.encode(), []byte("\x05\x00\x00\x00hello")), m)

	raw := req(op, "abcdef", nil).rawRequest()
	raw.NameLen = u16(3)
	m = req(op, "abc", nil)
	b.valid(id("name-len-shorter"),
		"name_len 3 over the name \"abcdef\": a whole "+opName+" of \"abc\" (11 bytes); \"def\" is trailing input",
		[]string{"R-1.2"}, raw.Append(nil), m)

	raw = req(op, "abc", nil).rawRequest()
	raw.NameLen = u16(10)
	msg := raw.Append(nil)
	b.invalid(id("name-len-longer"), "name_len 10 but 3 name bytes follow: truncated in the filename",
		[]string{"R-1.2", "R-5.3"}, msg, schema.ClassTruncated, fieldFilename, len(msg))

	raw = req(op, string(bytes.Repeat([]byte("n"), 256)), nil).rawRequest()
	b.invalid(id("name-len-256"), "name_len 256, one over the reference limit: refused right after name_len",
		[]string{"R-5.4", "R-5.1"}, raw.Append(nil), schema.ClassNameTooLong, fieldNameLen, 8)
}

func listRequests(b *fileBuilder) {
	m := req(opList, "", nil)
	b.valid("request/list/basic", "LIST: 6 bytes in all", []string{"R-4.4", "R-2.1"}, m.encode(), m)

	m.userID = 0
	b.valid("request/list/user-0", "the smallest user_id", []string{"R-1.1"}, m.encode(), m)

	m.userID = 0xffffffff
	b.valid("request/list/user-4294967295", "the largest user_id", []string{"R-1.1"}, m.encode(), m)

	m = req(opList, "", nil)
	m.version = 0
	b.valid("request/list/version-0", "version 0: decoding does not judge versions (R-5.2 leaves that to the server)",
		[]string{"R-5.2"}, m.encode(), m)

	m = req(opList, "", nil)
	b.valid("request/list/trailing-bytes",
		"LIST is complete after 6 bytes: what follows, which looks like name_len and a name, is left unread",
		[]string{"R-2.1", "R-4.4"}, cat(m.encode(), []byte("\x02\x00ab")), m)
}

func unknownOps(b *fileBuilder) {
	for _, op := range []uint8{0, 7, 99, 101, 203, 255} {
		raw := wire.RawRequest{UserID: userID, Version: 1, Op: op, Fields: wire.HasName, Name: []byte("abc")}
		b.invalid(fmt.Sprintf("request/unknown-op/%d", op),
			fmt.Sprintf("op %d is not defined: decoding stops after op; the name_len and name after it are not read", op),
			[]string{"R-5.2"}, raw.Append(nil), schema.ClassUnknownOp, fieldOp, 6)
	}
	raw := wire.RawRequest{UserID: userID, Version: 1, Op: 7}
	b.invalid("request/unknown-op/7-alone", "op 7 and nothing after it: unknown_op, not truncated",
		[]string{"R-5.2"}, raw.Append(nil), schema.ClassUnknownOp, fieldOp, 6)
}

func smallLimitRequests(b *fileBuilder) {
	m := req(opBackup, string(name16), []byte("x"))
	b.valid("request/backup/name-16-at-small-limit", "a name of exactly the group's limit, 16 bytes",
		[]string{"R-5.1", "R-5.4"}, m.encode(), m)

	m = req(opRestore, string(name16), nil)
	b.valid("request/restore/name-16-at-small-limit", "a name of exactly the group's limit, 16 bytes",
		[]string{"R-5.1", "R-5.4"}, m.encode(), m)

	m = req(opBackup, string(name17), []byte("x"))
	b.invalid("request/backup/name-17-over-small-limit",
		"name_len 17, one over the group's limit, all bytes present: refused right after name_len",
		[]string{"R-5.4", "R-5.1"}, m.encode(), schema.ClassNameTooLong, fieldNameLen, 8)
	for _, op := range []int{opRestore, opDelete} {
		m = req(op, string(name17), nil)
		b.invalid("request/"+map[int]string{opRestore: "restore", opDelete: "delete"}[op]+"/name-17-over-small-limit",
			"name_len 17, one over the group's limit: refused right after name_len",
			[]string{"R-5.4", "R-5.1"}, m.encode(), schema.ClassNameTooLong, fieldNameLen, 8)
	}

	m = meaning{message: "request", userID: userID, version: 1, code: opBackup, name: []byte("big.bin"), size: 1 << 20, headerOnly: true}
	b.valid("request/backup/size-1048576-at-small-limit",
		"size 1048576, exactly the group's limit: a valid header (the payload is not in the vector)",
		[]string{"R-5.4"}, m.encode(), m)

	for _, size := range []uint32{1<<20 + 1, 0xffffffff} {
		raw := req(opBackup, "big.bin", []byte("abc")).rawRequest()
		raw.Size = u32(size)
		b.invalid(fmt.Sprintf("request/backup/size-%d-over-small-limit", size),
			fmt.Sprintf("size %d is over the group's limit: refused right after size, before the payload", size),
			[]string{"R-5.4"}, raw.Append(nil), schema.ClassPayloadTooLarge, fieldSize, 6+2+7+4)
	}

	raw := req(opBackup, string(name17), []byte("abc")).rawRequest()
	raw.Size = u32(0xffffffff)
	b.invalid("request/backup/name-and-size-over-small-limit",
		"name and size both over the limits: name_len comes first, so name_too_long", []string{"R-5.4"},
		raw.Append(nil), schema.ClassNameTooLong, fieldNameLen, 8)

	raw = req(opBackup, "abcdef", []byte("hello")).rawRequest()
	raw.NameLen = u16(3)
	b.invalid("request/backup/name-len-shorter-over-small-limit",
		"name_len 3 over the name \"abcdef\": size is read from \"def\\x05\" as 90596708, over the group's limit: payload_too_large",
		[]string{"R-1.2", "R-5.4"}, raw.Append(nil), schema.ClassPayloadTooLarge, fieldSize, 6+2+3+4)
}
