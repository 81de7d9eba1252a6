package capture_test

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/internal/required"
	"github.com/fbpkit/fbp/vectors"
	"github.com/fbpkit/fbp/vectors/schema"
)

// dissector is the Lua plugin under test.
var dissector = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "contrib", "wireshark", "fbp.lua")
}()

// needTshark returns the tshark command, as required.Program finds it.
func needTshark(t *testing.T) string {
	t.Helper()
	return required.Program(t, "tshark", "tshark is not installed (Debian: apt-get install tshark); the dissector is not tested")
}

// passes are tshark's ways of reading a file: one pass, as tshark does by default, and two, as
// Wireshark's window does (a first pass without a tree, then each packet again): the dissector
// must show the same in both.
var passes = [][]string{nil, {"-2"}}

// tsharkFields runs tshark with the dissector on file and returns, per TCP stream, the values
// of each field in the order they came.
func tsharkFields(t *testing.T, file string, pass []string, fields ...string) map[int]map[string][]string {
	t.Helper()
	args := append(slices.Clone(pass), "-X", "lua_script:"+dissector, "-r", file, "-T", "fields", "-E", "separator=\t",
		"-E", "occurrence=a", "-E", "aggregator=\x1f", "-e", "tcp.stream")
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(needTshark(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || strings.Contains(stderr.String(), "Lua: Error") {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	streams := map[int]map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimRight(string(out), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		s, err := strconv.Atoi(cols[0])
		if err != nil {
			t.Fatalf("tshark line %q: %v", line, err)
		}
		m := streams[s]
		if m == nil {
			m = map[string][]string{}
			streams[s] = m
		}
		for i, f := range fields {
			if i+1 < len(cols) && cols[i+1] != "" {
				m[f] = append(m[f], strings.Split(cols[i+1], "\x1f")...)
			}
		}
	}
	return streams
}

const serverPort = 1234

// writeVectors writes one connection per vector: its bytes sent by the client (a request) or
// the server (a response), then that side's close. A message without trailing bytes is cut
// in two segments, so that the dissector must reassemble its header.
func writeVectors(t *testing.T, vs []*schema.Vector, request bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vectors.pcapng")
	rec, err := capture.Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	server := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), serverPort)
	for i, v := range vs {
		client := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(20000+i))
		from := capture.Client
		if !request {
			from = capture.Server
		}
		f := rec.Flow(v.ID, client, server, from, at)
		b := v.Bytes
		if v.Valid() && v.Consumed == len(b) && len(b) > 1 {
			f.Data(at, from, b[:len(b)/2], "")
			f.Data(at, from, b[len(b)/2:], "")
		} else if len(b) > 0 {
			f.Data(at, from, b, "")
		}
		f.Fin(at, from)
		f.Fin(at, from.Other())
		at = at.Add(time.Millisecond)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

var messageFields = []string{"fbp.user_id", "fbp.version", "fbp.op", "fbp.status", "fbp.name_len", "fbp.filename", "fbp.size", "fbp.payload", "_ws.expert.message"}

// warnings joins the dissector's warnings on a stream: the expert messages that cite a
// requirement (TCP's own and the packet comments cite none).
func warnings(got map[string][]string) string {
	var all []string
	for _, m := range got["_ws.expert.message"] {
		// The note on a version other than 1 is informational: valid vectors carry other
		// versions.
		if strings.Contains(m, "(R-") && !strings.HasPrefix(m, "version ") {
			all = append(all, m)
		}
	}
	return strings.Join(all, " | ")
}

// TestDissectorDecodesEveryValidVector compares every field tshark decodes with what the
// golden vectors hold, for every valid request and response.
func TestDissectorDecodesEveryValidVector(t *testing.T) {
	needTshark(t)
	set, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, request := range []bool{true, false} {
		all := set.Responses()
		if request {
			all = set.Requests()
		}
		var vs []*schema.Vector
		for _, v := range all {
			if v.Valid() {
				vs = append(vs, v)
			}
		}
		if len(vs) < 20 {
			t.Fatalf("only %d valid vectors", len(vs))
		}
		file := writeVectors(t, vs, request)
		for _, pass := range passes {
			got := tsharkFields(t, file, pass, messageFields...)
			for i, v := range vs {
				checkDecoded(t, v, got[i])
			}
		}
	}
}

func checkDecoded(t *testing.T, v *schema.Vector, got map[string][]string) {
	t.Helper()
	d := v.Decoded
	first := func(f string) string {
		if len(got[f]) == 0 {
			return "<none>"
		}
		return got[f][0]
	}
	want := map[string]string{"fbp.version": strconv.Itoa(int(d.Version))}
	if d.UserID != nil {
		want["fbp.user_id"] = strconv.FormatUint(uint64(*d.UserID), 10)
	}
	if d.Op != nil {
		want["fbp.op"] = strconv.Itoa(int(*d.Op))
	}
	if d.Status != nil {
		want["fbp.status"] = strconv.Itoa(int(*d.Status))
	}
	carriesName := d.Name != nil || d.NameHex != nil
	if carriesName {
		want["fbp.name_len"] = strconv.Itoa(len(d.NameBytes()))
		if d.Name != nil && *d.Name != "" && isPrintable(*d.Name) {
			want["fbp.filename"] = *d.Name
		}
	}
	if d.Size != nil {
		want["fbp.size"] = strconv.FormatUint(uint64(*d.Size), 10)
	}
	for f, w := range want {
		if g := first(f); g != w {
			t.Errorf("%s: %s = %s, want %s (all: %q)", v.ID, f, g, w, got)
		}
	}
	for _, f := range []string{"fbp.op", "fbp.status", "fbp.name_len", "fbp.size", "fbp.user_id"} {
		if _, ok := want[f]; !ok && len(got[f]) > 0 {
			t.Errorf("%s: %s = %q, which the message does not carry", v.ID, f, got[f])
		}
	}
	if d.Size != nil && !v.HeaderOnly() {
		var payload []byte
		for _, h := range got["fbp.payload"] {
			if h == "<MISSING>" {
				// tshark's text for an empty byte field: a zero-length payload.
				continue
			}
			b, err := hex.DecodeString(strings.ReplaceAll(h, ":", ""))
			if err != nil {
				t.Fatalf("%s: payload %q: %v", v.ID, h, err)
			}
			payload = append(payload, b...)
		}
		if !bytes.Equal(payload, d.Payload()) {
			t.Errorf("%s: payload % x, want % x", v.ID, payload, d.Payload())
		}
	}
	// A valid message with nothing after it draws no warning; one with trailing bytes draws
	// the warning of bytes after a whole message; a header-scoped one, whose payload is not
	// in the vector, the warning of a size past the payload.
	var want2 string
	switch {
	case v.HeaderOnly() && *d.Size > 0:
		want2 = "cut short"
	case v.Consumed < len(v.Bytes):
		want2 = "bytes after"
	}
	msgs := warnings(got)
	switch {
	case want2 == "" && msgs != "":
		t.Errorf("%s: expert info %q on a valid message", v.ID, msgs)
	case want2 != "" && !strings.Contains(msgs, want2):
		t.Errorf("%s: expert info %q, want one saying %q", v.ID, msgs, want2)
	}
}

func isPrintable(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return true
}

// TestDissectorWarnsOnMalformedMessages checks the expert warnings, with the requirement they
// cite, on the malformed vectors: an unknown op or status, a message cut short, and bytes
// after a LIST.
func TestDissectorWarnsOnMalformedMessages(t *testing.T) {
	needTshark(t)
	set, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		v    *schema.Vector
		text string
	}
	var reqs, resps []want
	for _, v := range set.Messages() {
		var text string
		switch {
		case v.Error != nil && v.Error.Class == schema.ClassUnknownOp:
			text = "unknown op"
		case v.Error != nil && v.Error.Class == schema.ClassUnknownStatus:
			text = "unknown status"
		case v.Error != nil && v.Error.Class == schema.ClassTruncated && v.Error.Field == "payload":
			text = "cut short"
		case v.Valid() && v.Decoded.Op != nil && *v.Decoded.Op == 202 && v.Consumed < len(v.Bytes):
			text = "after a LIST, before its response (R-2.1, R-7.1)"
		default:
			continue
		}
		if v.Message == schema.MessageRequest {
			reqs = append(reqs, want{v, text})
		} else {
			resps = append(resps, want{v, text})
		}
	}
	for _, side := range []struct {
		request bool
		ws      []want
		cite    map[string]string
	}{
		{true, reqs, map[string]string{"unknown op": "R-7.2", "cut short": "R-7.1"}},
		{false, resps, map[string]string{"unknown status": "R-3.1", "cut short": "R-3.1"}},
	} {
		kinds := map[string]int{}
		vs := make([]*schema.Vector, len(side.ws))
		for i, w := range side.ws {
			vs[i] = w.v
			kinds[w.text]++
		}
		file := writeVectors(t, vs, side.request)
		for _, pass := range passes {
			got := tsharkFields(t, file, pass, "_ws.expert.message")
			for i, w := range side.ws {
				msgs := warnings(got[i])
				if !strings.Contains(msgs, w.text) {
					t.Errorf("%v %s: expert info %q, want one saying %q", pass, w.v.ID, msgs, w.text)
				}
				if c := side.cite[w.text]; c != "" && !strings.Contains(msgs, "("+c) && !strings.Contains(msgs, c+")") {
					t.Errorf("%v %s: expert info %q does not cite %s", pass, w.v.ID, msgs, c)
				}
			}
		}
		if len(kinds) < 2 {
			t.Errorf("request %v: malformed vectors of too few kinds: %v", side.request, kinds)
		}
		t.Logf("request %v: %v", side.request, kinds)
	}
}
