package vectors_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
	"github.com/fbpkit/fbp/vectors"
	"github.com/fbpkit/fbp/vectors/internal/build"
	"github.com/fbpkit/fbp/vectors/schema"
)

func load(t *testing.T) *vectors.Set {
	t.Helper()
	s, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The committed files must be exactly what the generator makes, or the vectors and the Go code
// that states them have drifted apart.
func TestFilesMatchGenerator(t *testing.T) {
	want, err := build.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{build.RequestsFile, build.ResponsesFile, build.NamesFile} {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%v: run `go generate ./vectors`", err)
			continue
		}
		if !bytes.Equal(got, want[name]) {
			t.Errorf("%s differs from what the generator makes (%s): run `go generate ./vectors`", name, firstDiff(got, want[name]))
		}
	}
	if len(want) != 3 {
		t.Errorf("the generator makes %d files, this test checks 3", len(want))
	}
}

func firstDiff(got, want []byte) string {
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			return fmt.Sprintf("line %d: committed %.120q, generated %.120q", i+1, gl[i], wl[i])
		}
	}
	return fmt.Sprintf("committed %d lines, generated %d", len(gl), len(wl))
}

func TestRequestVectors(t *testing.T) { checkVectors(t, requestKind) }

func TestResponseVectors(t *testing.T) { checkVectors(t, responseKind) }

// messageKind is what the vector tests do with one kind of message, so that requests and
// responses are checked alike.
type messageKind[M any] struct {
	parser  string // the parse function's name, for failures
	vectors func(*vectors.Set) []*schema.Vector
	parse   func([]byte, wire.Limits) (M, int, error)
	want    func(*schema.Decoded) M
	code    func(*M) code // its op or status
	equal   func(got, want *M) bool
	encode  func(*M) []byte
	// header reads a header from r and returns it, whether it holds want's fields and size, its
	// encoding and that of want's header with size.
	header func(r *wire.Reader, want *M, size uint32) (got any, same bool, encoded, wantEncoded []byte, err error)
}

// code is an op or a status.
type code interface {
	Fields() (wire.Fields, bool)
	String() string
}

var requestKind = messageKind[wire.Request]{
	parser:  "ParseRequest",
	vectors: (*vectors.Set).Requests,
	parse:   wire.ParseRequest,
	want:    (*schema.Decoded).Request,
	code:    func(m *wire.Request) code { return m.Op },
	equal:   func(got, want *wire.Request) bool { return got.Equal(want) && got.UserID == want.UserID },
	encode:  func(m *wire.Request) []byte { return m.Append(nil) },
	header: func(r *wire.Reader, want *wire.Request, size uint32) (any, bool, []byte, []byte, error) {
		var h wire.RequestHeader
		err := r.ReadRequestHeader(&h)
		w := wire.RequestHeader{UserID: want.UserID, Version: want.Version, Op: want.Op, Name: want.Name, Size: size}
		same := h.UserID == w.UserID && h.Version == w.Version && h.Op == w.Op && bytes.Equal(h.Name, w.Name) && h.Size == w.Size
		return h, same, h.Append(nil), w.Append(nil), err
	},
}

var responseKind = messageKind[wire.Response]{
	parser:  "ParseResponse",
	vectors: (*vectors.Set).Responses,
	parse:   wire.ParseResponse,
	want:    (*schema.Decoded).Response,
	code:    func(m *wire.Response) code { return m.Status },
	equal:   func(got, want *wire.Response) bool { return got.Equal(want) },
	encode:  func(m *wire.Response) []byte { return m.Append(nil) },
	header: func(r *wire.Reader, want *wire.Response, size uint32) (any, bool, []byte, []byte, error) {
		var h wire.ResponseHeader
		err := r.ReadResponseHeader(&h)
		w := wire.ResponseHeader{Version: want.Version, Status: want.Status, Name: want.Name, Size: size}
		same := h.Version == w.Version && h.Status == w.Status && bytes.Equal(h.Name, w.Name) && h.Size == w.Size
		return h, same, h.Append(nil), w.Append(nil), err
	},
}

func checkVectors[M any](t *testing.T, k messageKind[M]) {
	for _, v := range k.vectors(load(t)) {
		t.Run(v.ID, func(t *testing.T) {
			if !v.Valid() {
				_, n, err := k.parse(v.Bytes, v.Limits)
				checkError(t, v, n, err)
				return
			}
			want := k.want(v.Decoded)
			if v.HeaderOnly() {
				checkHeader(t, k, v, &want)
				return
			}
			got, n, err := k.parse(v.Bytes, v.Limits)
			if err != nil {
				t.Fatalf("%s: %v, want a valid %s", k.parser, err, k.code(&want))
			}
			if n != v.Consumed {
				t.Errorf("consumed %d bytes, want %d", n, v.Consumed)
			}
			checkCarried(t, v, k.code(&want).Fields)
			if !k.equal(&got, &want) {
				t.Errorf("decoded %+v\nwant %+v", got, want)
			}
			checkEncoding(t, v, k.encode(&got), k.encode(&want))
		})
	}
}

// checkHeader checks a header-scoped vector: only its header is read, with a Reader.
func checkHeader[M any](t *testing.T, k messageKind[M], v *schema.Vector, want *M) {
	r := wire.NewReader(bytes.NewReader(v.Bytes), v.Limits)
	h, same, encoded, wantEncoded, err := k.header(r, want, *v.Decoded.Size)
	if err != nil {
		t.Fatalf("reading the header: %v", err)
	}
	if r.Offset() != int64(v.Consumed) {
		t.Errorf("consumed %d bytes, want %d", r.Offset(), v.Consumed)
	}
	checkCarried(t, v, k.code(want).Fields)
	if !same {
		t.Errorf("decoded %+v\nwant %+v size %d", h, *want, *v.Decoded.Size)
	}
	checkEncoding(t, v, encoded, wantEncoded)
}

// checkCarried checks that a vector states exactly the fields its op or status carries, and
// that size agrees with the payload.
func checkCarried(t *testing.T, v *schema.Vector, fields func() (wire.Fields, bool)) {
	t.Helper()
	f, ok := fields()
	if !ok {
		t.Fatal("a valid vector with an op or status the spec does not define")
	}
	d := v.Decoded
	if (v.Message == schema.MessageRequest) != (d.UserID != nil && d.Op != nil && d.Status == nil) ||
		(v.Message == schema.MessageResponse) != (d.Status != nil && d.UserID == nil && d.Op == nil) {
		t.Errorf("decoded states the fields of another message kind")
	}
	if hasName := d.Name != nil || d.NameHex != nil; hasName != f.Has(wire.HasName) {
		t.Errorf("decoded states a name: %v, the message carries one: %v", hasName, f.Has(wire.HasName))
	}
	if hasSize := d.Size != nil; hasSize != f.Has(wire.HasPayload) {
		t.Errorf("decoded states a size: %v, the message carries one: %v", hasSize, f.Has(wire.HasPayload))
	}
	if hasPayload := d.PayloadHex != nil; hasPayload != (f.Has(wire.HasPayload) && !v.HeaderOnly()) {
		t.Errorf("decoded states a payload: %v, want one: %v", hasPayload, f.Has(wire.HasPayload) && !v.HeaderOnly())
	}
	if d.Size != nil && d.PayloadHex != nil && int(*d.Size) != len(d.Payload()) {
		t.Errorf("size %d but a payload of %d bytes", *d.Size, len(d.Payload()))
	}
	if d.Name != nil && !printable(d.NameBytes()) {
		t.Errorf("name %q is not printable ASCII: it belongs in name_hex", *d.Name)
	}
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// checkEncoding checks that encoding what was decoded, and encoding what the vector states,
// both give back the message's bytes.
func checkEncoding(t *testing.T, v *schema.Vector, decoded, stated []byte) {
	t.Helper()
	msg := v.Bytes[:v.Consumed]
	if !bytes.Equal(decoded, msg) {
		t.Errorf("re-encoding the decoded message:\n got %x\nwant %x", decoded, msg)
	}
	if !bytes.Equal(stated, msg) {
		t.Errorf("encoding the stated fields:\n got %x\nwant %x", stated, msg)
	}
}

func checkError(t *testing.T, v *schema.Vector, n int, err error) {
	t.Helper()
	want := v.Error
	if want.Class == schema.ClassEOF {
		// io.EOF itself, unwrapped: callers compare it with ==, as io.ReadFull's callers do.
		if err != io.EOF || n != 0 {
			t.Fatalf("err %v after %d bytes, want io.EOF after none", err, n)
		}
		return
	}
	if !errors.Is(err, want.Target()) {
		t.Fatalf("err %v, want class %s (%v)", err, want.Class, want.Target())
	}
	var de *wire.Error
	if !errors.As(err, &de) {
		t.Fatalf("err %T %v is not a *wire.Error", err, err)
	}
	if de.Message != v.Message || de.Field != want.Field || de.Offset != *want.Offset || int64(n) != *want.Offset {
		t.Errorf("stopped in %s %s at offset %d (n %d), want %s %s at %d", de.Message, de.Field, de.Offset, n, v.Message, want.Field, *want.Offset)
	}
}

func TestNamesAgreeWithCheckName(t *testing.T) {
	for _, v := range load(t).Names() {
		t.Run(v.ID, func(t *testing.T) {
			err := wire.CheckName(v.Name, v.MaxName)
			if v.Result == schema.ResultValid {
				if err != nil {
					t.Fatalf("CheckName(%q): %v, want accepted", v.Name, err)
				}
				return
			}
			var ne *wire.NameError
			if !errors.Is(err, wire.ErrBadName) || !errors.As(err, &ne) {
				t.Fatalf("CheckName(%q): %v, want refused as %s", v.Name, err, v.Reason)
			}
			if ne.Rule != v.Reason {
				t.Errorf("CheckName(%q) says %q (rule %q), want rule %q", v.Name, ne.Reason, ne.Rule, v.Reason)
			}
		})
	}
}

// specRequirements reads the requirement IDs SPEC.md (ref/wire/SPEC.md) indexes, so that a
// vector cannot name an ID the spec does not define.
func specRequirements(t *testing.T) map[string]bool {
	t.Helper()
	const spec = "../ref/wire/SPEC.md"
	b, err := os.ReadFile(spec)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent", spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| (R-[0-9]+\.[0-9]+) \|`).FindAllStringSubmatch(string(b), -1) {
		defined[m[1]] = true
	}
	if len(defined) == 0 {
		t.Fatalf("%s indexes no requirement", spec)
	}
	return defined
}

var idPattern = regexp.MustCompile(`^(request|response|name)(/[a-z0-9][a-z0-9.-]*)+$`)

func TestIDsAndRequirements(t *testing.T) {
	s := load(t)
	seen := map[string]bool{}
	known := specRequirements(t)
	check := func(id string, reqs []string) {
		if !idPattern.MatchString(id) {
			t.Errorf("id %q: not a lower-case path", id)
		}
		if seen[id] {
			t.Errorf("id %q used twice", id)
		}
		seen[id] = true
		if len(reqs) == 0 {
			t.Errorf("%s names no requirement", id)
		}
		for _, r := range reqs {
			if !known[r] {
				t.Errorf("%s names %q, which SPEC.md does not define", id, r)
			}
		}
	}
	for _, v := range s.Messages() {
		check(v.ID, v.Requirements)
		if !strings.HasPrefix(v.ID, v.Message+"/") {
			t.Errorf("%s is in the %s file", v.ID, v.Message)
		}
	}
	for _, v := range s.Names() {
		check(v.ID, v.Requirements)
	}
}

// Every non-empty strict prefix of every valid message must be a vector of the same group, and
// each file must state the empty input once.
func TestEveryTruncationIsStated(t *testing.T) {
	s := load(t)
	for _, f := range []*schema.File{s.RequestFile, s.ResponseFile} {
		eof := 0
		for _, g := range f.Groups {
			invalid := map[string]bool{}
			for _, v := range g.Vectors {
				if v.Valid() {
					continue
				}
				invalid[v.Hex] = true
				if v.Error.Class == schema.ClassEOF {
					eof++
				}
			}
			for _, v := range g.Vectors {
				if !v.Valid() {
					continue
				}
				for k := 1; k < v.Consumed; k++ {
					if h := hex.EncodeToString(v.Bytes[:k]); !invalid[h] {
						t.Errorf("%s: its first %d bytes are no vector", v.ID, k)
					}
				}
			}
		}
		if eof != 1 {
			t.Errorf("%s file: %d vectors of class eof, want 1", f.Message, eof)
		}
	}
}

func TestCoverage(t *testing.T) {
	s := load(t)
	// Vectors are counted by the op or status their id names: a truncation cut before the
	// op or status counts for the message it was cut from.
	type tally struct{ valid, invalid int }
	bySlug := map[string]*tally{}
	unknown := map[string]bool{}
	classes := map[string]bool{}
	for _, v := range s.Messages() {
		parts := strings.Split(v.ID, "/")
		slug := parts[0] + "/" + parts[1]
		if bySlug[slug] == nil {
			bySlug[slug] = &tally{}
		}
		if v.Valid() {
			bySlug[slug].valid++
			continue
		}
		bySlug[slug].invalid++
		classes[v.Error.Class] = true
		switch v.Error.Class {
		case schema.ClassUnknownOp:
			unknown["op "+strconv.Itoa(int(v.Bytes[5]))] = true
		case schema.ClassUnknownStatus:
			unknown["status "+strconv.Itoa(int(binary.LittleEndian.Uint16(v.Bytes[1:3])))] = true
		}
	}
	for _, slug := range []string{"request/backup", "request/restore", "request/delete", "request/list",
		"response/restored", "response/listed", "response/ok", "response/not-exist", "response/no-files", "response/server-error"} {
		if tl := bySlug[slug]; tl == nil || tl.valid == 0 || tl.invalid == 0 {
			t.Errorf("%s: %+v, want valid and invalid vectors", slug, tl)
		}
	}
	for _, code := range []string{"op 0", "op 7", "op 99", "op 101", "op 203", "op 255",
		"status 0", "status 200", "status 213", "status 1000", "status 1004", "status 65535"} {
		if !unknown[code] {
			t.Errorf("unknown %s has no vector", code)
		}
	}
	for _, c := range []string{schema.ClassEOF, schema.ClassTruncated, schema.ClassUnknownOp, schema.ClassUnknownStatus,
		schema.ClassNameTooLong, schema.ClassPayloadTooLarge} {
		if !classes[c] {
			t.Errorf("no vector of class %s", c)
		}
	}
}

// The cases the project's issue names one by one.
func TestNamedCases(t *testing.T) {
	s := load(t)
	byID := map[string]*schema.Vector{}
	for _, v := range s.Messages() {
		byID[v.ID] = v
	}
	get := func(id string) *schema.Vector {
		v := byID[id]
		if v == nil {
			t.Fatalf("no vector %s", id)
		}
		return v
	}
	// SPEC, copied here by hand from the spec.
	ex := get("request/backup/exercise-example")
	if ex.Hex != "d2040000"+"01"+"64"+"0900"+"6d6d6e31342e706466"+"05720000" || !ex.HeaderOnly() || *ex.Decoded.Size != 29189 {
		t.Errorf("exercise example: %s", ex.Hex)
	}
	if cut := get("request/backup/exercise-example/truncated-at-29"); !strings.HasSuffix(string(cut.Bytes), "%PDF-1.6") ||
		cut.Error.Field != "payload" || *cut.Error.Offset != 29 {
		t.Errorf("exercise example cut in its payload: %+v", cut)
	}
	for _, id := range []string{"request/backup/all-byte-values", "response/restored/all-byte-values"} {
		p := get(id).Decoded.Payload()
		for i := range 256 {
			if len(p) != 256 || p[i] != byte(i) {
				t.Fatalf("%s: payload %x", id, p)
			}
		}
	}
	for _, id := range []string{"request/backup/zero-length", "response/restored/zero-length"} {
		if d := get(id).Decoded; *d.Size != 0 || d.PayloadHex == nil {
			t.Errorf("%s: size %d", id, *d.Size)
		}
	}
	for _, id := range []string{"request/backup/name-255", "response/restored/name-255"} {
		if n := len(get(id).Decoded.NameBytes()); n != wire.DefaultMaxName {
			t.Errorf("%s: a name of %d bytes", id, n)
		}
	}
	for id, consumed := range map[string]int{
		"request/list/trailing-bytes":                6,
		"response/no-files/trailing-bytes":           3,
		"response/server-error/trailing-bytes":       3,
		"response/ok/trailing-bytes":                 3 + 2 + 5,
		"response/not-exist/trailing-bytes":          3 + 2 + 5,
		"request/restore/name-len-shorter":           11,
		"request/restore/trailing-bytes":             6 + 2 + 5,
		"response/restored/size-4294967295":          3 + 2 + 8 + 4,
		"request/backup/size-1048576-at-small-limit": 6 + 2 + 7 + 4,
	} {
		if v := get(id); v.Consumed != consumed || v.Consumed >= len(v.Bytes) && !v.HeaderOnly() {
			t.Errorf("%s: consumed %d of %d bytes, want %d and trailing bytes", id, v.Consumed, len(v.Bytes), consumed)
		}
	}
	for _, id := range []string{"request/list/user-0", "request/list/user-4294967295", "request/backup/version-2", "request/list/version-0"} {
		if !get(id).Valid() {
			t.Errorf("%s must be valid", id)
		}
	}
	if v := get("request/backup/name-len-256"); v.Error.Class != schema.ClassNameTooLong || v.Limits.MaxName != wire.DefaultMaxName {
		t.Errorf("name_len 256 in the reference group: %+v", v.Error)
	}
}
