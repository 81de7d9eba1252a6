package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The exercise's example of: BACKUP by user 1234 of mmn14.pdf, 29189 bytes.
func TestExerciseExampleHeader(t *testing.T) {
	want := unhex(t, "d2040000 01 64 0900 6d6d6e31342e706466 05720000")
	h := RequestHeader{UserID: 1234, Version: 1, Op: OpBackup, Name: []byte("mmn14.pdf"), Size: 29189}
	if got := h.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("Append:\n got %x\nwant %x", got, want)
	}
	if i := bytes.Index(want, []byte{0x05, 0x72}); i != 17 {
		t.Fatalf("size starts at %d, the spec says 17", i)
	}
	var got RequestHeader
	r := NewReader(bytes.NewReader(append(want, "%PDF-1.6"...)), Limits{})
	if err := r.ReadRequestHeader(&got); err != nil {
		t.Fatal(err)
	}
	if got.UserID != 1234 || got.Op != OpBackup || string(got.Name) != "mmn14.pdf" || got.Size != 29189 {
		t.Fatalf("decoded %+v", got)
	}
	// Only 8 of 29189 payload bytes follow: the payload is truncated.
	n, err := io.Copy(io.Discard, r.Payload())
	var de *Error
	if n != 8 || !errors.As(err, &de) || !errors.Is(err, io.ErrUnexpectedEOF) || de.Field != FieldPayload || de.Offset != 29 {
		t.Fatalf("payload: n=%d err=%v", n, err)
	}
}

func TestResponseLayouts(t *testing.T) {
	for _, tc := range []struct {
		resp Response
		hex  string
	}{
		{Response{Version: 1, Status: StatusRestored, Name: []byte("a"), Payload: []byte("xy")}, "01 d200 0100 61 02000000 7879"},
		{Response{Version: 1, Status: StatusListed, Name: []byte("L"), Payload: []byte("a\n")}, "01 d300 0100 4c 02000000 610a"},
		{Response{Version: 1, Status: StatusOK, Name: []byte("a"), Payload: []byte("ignored")}, "01 d400 0100 61"},
		{Response{Version: 1, Status: StatusNotExist, Name: []byte("a")}, "01 e903 0100 61"},
		{Response{Version: 1, Status: StatusNoFiles, Name: []byte("ignored")}, "01 ea03"},
		{Response{Version: 1, Status: StatusServerError}, "01 eb03"},
	} {
		t.Run(tc.resp.Status.String(), func(t *testing.T) {
			want := unhex(t, tc.hex)
			got := tc.resp.Append(nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("Append:\n got %x\nwant %x", got, want)
			}
			back, n, err := ParseResponse(append(got, 0xff), Limits{})
			if err != nil || n != len(want) || !back.Equal(&tc.resp) {
				t.Fatalf("ParseResponse: %+v n=%d err=%v", back, n, err)
			}
		})
	}
}

func TestRequestLayouts(t *testing.T) {
	for _, tc := range []struct {
		req Request
		hex string
	}{
		{Request{UserID: 1, Version: 1, Op: OpBackup, Name: []byte("f"), Payload: []byte{0}}, "01000000 01 64 0100 66 01000000 00"},
		{Request{UserID: 1, Version: 1, Op: OpRestore, Name: []byte("f")}, "01000000 01 c8 0100 66"},
		{Request{UserID: 1, Version: 1, Op: OpDelete, Name: []byte("f")}, "01000000 01 c9 0100 66"},
		{Request{UserID: 0xfffffffe, Version: 1, Op: OpList, Name: []byte("ignored")}, "feffffff 01 ca"},
	} {
		t.Run(tc.req.Op.String(), func(t *testing.T) {
			want := unhex(t, tc.hex)
			if got := tc.req.Append(nil); !bytes.Equal(got, want) {
				t.Fatalf("Append:\n got %x\nwant %x", got, want)
			}
			back, n, err := ParseRequest(append(want, 1, 2, 3), Limits{})
			if err != nil || n != len(want) || !back.Equal(&tc.req) {
				t.Fatalf("ParseRequest: %+v n=%d err=%v", back, n, err)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	lim := Limits{MaxName: 4, MaxPayload: 10}
	for _, tc := range []struct {
		name, hex string
		is        error
		field     string
		offset    int64
	}{
		{"unknown op", "01000000 01 07 0100 66", ErrUnknownOp, FieldOp, 6},
		{"name over limit", "01000000 01 c8 0500 6161616161", ErrNameTooLong, FieldNameLen, 8},
		{"size over limit", "01000000 01 64 0100 61 0b000000", ErrPayloadTooLarge, FieldSize, 13},
		{"cut in user_id", "0100", io.ErrUnexpectedEOF, FieldUserID, 2},
		{"cut before op", "01000000 01", io.ErrUnexpectedEOF, FieldOp, 5},
		{"cut in name_len", "01000000 01 c8 01", io.ErrUnexpectedEOF, FieldNameLen, 7},
		{"name_len longer than name", "01000000 01 c8 0300 6161", io.ErrUnexpectedEOF, FieldFilename, 10},
		{"cut in size", "01000000 01 64 0100 61 0100", io.ErrUnexpectedEOF, FieldSize, 11},
		{"cut in payload", "01000000 01 64 0100 61 02000000 00", io.ErrUnexpectedEOF, FieldPayload, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, n, err := ParseRequest(unhex(t, tc.hex), lim)
			var de *Error
			if !errors.Is(err, tc.is) || !errors.As(err, &de) {
				t.Fatalf("err = %v, want one matching %v", err, tc.is)
			}
			if de.Field != tc.field || de.Offset != tc.offset || int64(n) != tc.offset {
				t.Fatalf("stopped at %s/%d (n=%d), want %s/%d", de.Field, de.Offset, n, tc.field, tc.offset)
			}
		})
	}
	if _, _, err := ParseRequest(nil, lim); err != io.EOF {
		t.Fatalf("empty input: %v, want io.EOF", err)
	}
	_, _, err := ParseResponse(unhex(t, "01 0100"), lim)
	if !errors.Is(err, ErrUnknownStatus) {
		t.Fatalf("unknown status: %v", err)
	}
	var le *LimitError
	_, _, err = ParseRequest(unhex(t, "01000000 01 64 0100 61 0b000000"), lim)
	if !errors.As(err, &le) || le.Value != 11 || le.Max != 10 || errors.Is(err, ErrNameTooLong) {
		t.Fatalf("limit error: %v", err)
	}
}

// Several requests on one stream, payloads partly read or not read at all.
func TestReaderStream(t *testing.T) {
	var stream []byte
	reqs := []Request{
		{UserID: 7, Version: 1, Op: OpBackup, Name: []byte("one"), Payload: []byte("first payload")},
		{UserID: 7, Version: 1, Op: OpList},
		{UserID: 7, Version: 1, Op: OpBackup, Name: []byte("two"), Payload: []byte("second")},
		{UserID: 7, Version: 1, Op: OpRestore, Name: []byte("two")},
	}
	for i := range reqs {
		stream = reqs[i].Append(stream)
	}
	r := NewReader(bytes.NewReader(stream), Limits{})
	var h RequestHeader
	for i, want := range reqs {
		if err := r.ReadRequestHeader(&h); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if h.Op != want.Op || string(h.Name) != string(want.Name) || int(h.Size) != len(want.Payload) {
			t.Fatalf("request %d: %+v", i, h)
		}
		if i == 2 {
			got, err := io.ReadAll(r.Payload())
			if err != nil || string(got) != "second" {
				t.Fatalf("payload %q %v", got, err)
			}
		}
	}
	if err := r.ReadRequestHeader(&h); err != io.EOF {
		t.Fatalf("after the last message: %v, want io.EOF", err)
	}
}

func TestWriterMatchesAppend(t *testing.T) {
	for _, size := range []int{0, 5, coalesceMax, coalesceMax + 1, 100_000} {
		payload := bytes.Repeat([]byte{0xab}, size)
		req := Request{UserID: 9, Version: 1, Op: OpBackup, Name: []byte("x"), Payload: payload}
		resp := Response{Version: 1, Status: StatusRestored, Name: []byte("x"), Payload: payload}
		var a, b bytes.Buffer
		rh, sh := req.Header(), resp.Header()
		if err := NewWriter(&a).WriteRequest(&rh, bytes.NewReader(payload)); err != nil {
			t.Fatal(err)
		}
		if err := NewWriter(&b).WriteResponse(&sh, bytes.NewReader(payload)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), req.Append(nil)) || !bytes.Equal(b.Bytes(), resp.Append(nil)) {
			t.Fatalf("size %d: Writer and Append disagree", size)
		}
	}
	h := RequestHeader{Version: 1, Op: OpBackup, Name: []byte("x"), Size: 10}
	if err := NewWriter(io.Discard).WriteRequest(&h, strings.NewReader("short")); !errors.Is(err, ErrShortPayload) {
		t.Fatalf("short payload: %v", err)
	}
	h.Op = 9
	if err := NewWriter(io.Discard).WriteRequest(&h, nil); !errors.Is(err, ErrUnknownOp) {
		t.Fatalf("unknown op: %v", err)
	}
}

func TestRawBreaksTheRules(t *testing.T) {
	req := Request{UserID: 1, Version: 1, Op: OpRestore, Name: []byte("abc")}
	raw := req.Raw()
	if got, want := raw.Append(nil), req.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("unchanged raw: %x, want %x", got, want)
	}
	raw.NameLen = new(uint16(9))
	raw.Fields |= HasPayload
	raw.Size = new(uint32(0xffffffff))
	raw.Trailer = []byte{0xee}
	if got, want := raw.Append(nil), unhex(t, "01000000 01 c8 0900 616263 ffffffff ee"); !bytes.Equal(got, want) {
		t.Fatalf("broken raw: %x, want %x", got, want)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "mmn14.pdf", "with space", "...", ".hidden", strings.Repeat("n", 255)} {
		if err := CheckName([]byte(ok), 255); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for bad, rule := range map[string]string{
		"": NameEmpty, ".": NameDot, "..": NameDot, "../x": NameSeparator, "a/b": NameSeparator, `a\b`: NameSeparator,
		"/abs": NameSeparator, "a\x00b": NameNUL, "a\nb": NameControl, "\x7f": NameControl, "caf\xc3\xa9": NameNonASCII,
		strings.Repeat("n", 256): NameTooLong,
		// The first rule broken is the one named.
		"a/\x00\x01\xff": NameSeparator,
	} {
		var ne *NameError
		if err := CheckName([]byte(bad), 255); !errors.Is(err, ErrBadName) || !errors.As(err, &ne) || ne.Rule != rule {
			t.Errorf("%q: %v, want rule %s", bad, err, rule)
		}
	}
}

func TestStringers(t *testing.T) {
	if OpList.String() != "LIST" || Op(7).String() != "Op(7)" || StatusNoFiles.String() != "no-files" || StatusOK.Name(OpDelete) != "delete-ok" || StatusOK.String() != "backup-ok/delete-ok" || Status(5).String() != "Status(5)" {
		t.Fatal(OpList, Op(7), StatusNoFiles, Status(5))
	}
}

func TestHeaderDecodeDoesNotAllocate(t *testing.T) {
	msg := (&Request{UserID: 1, Version: 1, Op: OpBackup, Name: []byte("report.pdf"), Payload: []byte("x")}).Append(nil)
	src := bytes.NewReader(msg)
	r := NewReader(src, Limits{})
	var h RequestHeader
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(msg)
		r.payload.left = 0
		if err := r.ReadRequestHeader(&h); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per header", allocs)
	}
}
