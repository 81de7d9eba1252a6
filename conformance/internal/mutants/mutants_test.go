package mutants

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/wire"
)

// manifestation is a scripted exchange and its transcript against the fault-free server and
// against the mutant: the fault shows, at the byte level, exactly where the two differ.
type manifestation struct {
	exchange func(t *testing.T, addr string) string
	none     string
	mutant   string
	options  *Options // nil: testOptions
}

// simple is a manifestation made of requests on one connection.
func simple(none, mutant string, reqs ...[]byte) manifestation {
	return manifestation{
		exchange: func(t *testing.T, addr string) string { return exchange(t, addr, reqs...) },
		none:     none,
		mutant:   mutant,
	}
}

var (
	name255    = strings.Repeat("n", 255)
	bigFile    = bytes.Repeat([]byte{0x5a}, truncateAt+10)
	mediumFile = bytes.Repeat([]byte{0xa5}, recvBufferSize+10)
)

// deathWait bounds the wait for a dying server to close an idle connection; a living server
// keeps it open, so the fault-free side always waits this long.
const deathWait = 2 * time.Second

// deathOptions keep an idle connection open well past deathWait on a living server.
var deathOptions = Options{AnswerDelay: testOptions.AnswerDelay, ReadTimeout: 3 * deathWait, MaxFileSize: testOptions.MaxFileSize}

// dialResult says whether a new connection to addr is accepted.
func dialResult(addr string) string {
	c, err := net.DialTimeout("tcp", addr, clientWait)
	if err != nil {
		return "dial refused"
	}
	_ = c.Close()
	return "dial ok"
}

// deathExchange runs trigger, whose exchange ends when the server closes its connection, then
// dials anew. A server that died closed its listener before that connection (see shutdown),
// so the dial is refused at once; a living one accepts it.
func deathExchange(trigger func(t *testing.T, addr string) string) func(t *testing.T, addr string) string {
	return func(t *testing.T, addr string) string {
		return trigger(t, addr) + " || " + dialResult(addr)
	}
}

// cutExchange sends a truncated request on its own connection between two exchanges of whole
// requests, each waited for until the server closes.
func cutExchange(before [][]byte, cut []byte, after ...[]byte) func(t *testing.T, addr string) string {
	return func(t *testing.T, addr string) string {
		first := exchange(t, addr, before...)
		p := dial(t, addr)
		p.send(cut)
		second := p.finish()
		return first + " || " + second + " || " + exchange(t, addr, after...)
	}
}

// late is how a mutant that answers late shows: a timeout where the reference answers at once.
var late = manifestation{
	exchange: lateExchange,
	none:     `1002 || closed`,
	mutant:   `timeout || 1002 | closed`,
}

// lateExchange sends a LIST and tells an answer that comes at once from one that comes late.
func lateExchange(t *testing.T, addr string) string {
	p := dial(t, addr)
	p.send(listReq(userA))
	first := p.recv(1, lateWait)
	return first + " || " + p.finish()
}

// slowSerialReadTimeout is how long real-slow-serial waits for the next request on an idle
// connection before it drops it and serves the next in line.
const slowSerialReadTimeout = 4 * time.Second

var manifestations = map[string]manifestation{
	"missing-file-1003": simple(
		`1001 "nope" | 1001 "nope" | closed`,
		`1003 | 1003 | closed`,
		restoreReq(userA, "nope"), deleteReq(userA, "nope")),
	// 212 01 d400 0100 61 is followed by the stray size 00000000, which then reads as the
	// start of a message of version 0, status 0.
	"ok-trailing-size": simple(
		`212 "a" | 212 "a" | closed`,
		`212 "a" | !0000000001d40001006100000000 | closed`,
		backupReq(userA, "a", []byte("x")), deleteReq(userA, "a")),
	"no-files-extra-fields": simple(
		`1002 | closed`,
		`1002 | !000000000000 | closed`,
		listReq(userA)),
	"status-big-endian": simple(
		`212 "a" | closed`,
		`!0100d4010061 | closed`,
		backupReq(userA, "a", []byte("x"))),
	"version-zero": simple(
		`212 "a" | closed`,
		`v0 212 "a" | closed`,
		backupReq(userA, "a", []byte("x"))),
	// "0" sorts before any 32-character name, so the listing's order is fixed.
	"list-shows-listing": simple(
		`212 "0" | 211 <32 alnum> "0\n" | 211 <32 alnum> "0\n" | closed`,
		`212 "0" | 211 <32 alnum> "0\n" | 211 <32 alnum> "0\n<32 alnum>\n" | closed`,
		backupReq(userA, "0", []byte("x")), listReq(userA), listReq(userA)),
	"list-stale-after-delete": simple(
		`212 "a" | 212 "b" | 211 <32 alnum> "a\nb\n" | 212 "a" | 211 <32 alnum> "b\n" | 212 "b" | 1002 | closed`,
		`212 "a" | 212 "b" | 211 <32 alnum> "a\nb\n" | 212 "a" | 211 <32 alnum> "a\nb\n" | 212 "b" | 211 <32 alnum> "a\nb\n" | closed`,
		backupReq(userA, "a", []byte("x")), backupReq(userA, "b", []byte("y")), listReq(userA),
		deleteReq(userA, "a"), listReq(userA), deleteReq(userA, "b"), listReq(userA)),
	"overwrite-appends": simple(
		`212 "a" | 212 "a" | 210 "a" "new" | closed`,
		`212 "a" | 212 "a" | 210 "a" "oldnew" | closed`,
		backupReq(userA, "a", []byte("old")), backupReq(userA, "a", []byte("new")), restoreReq(userA, "a")),
	"traversal-write": simple(
		`1003 | 1002 | 1001 "canary" | closed`,
		`212 "../8/canary" | 211 <32 alnum> "canary\n" | 210 "canary" "pwned" | closed`,
		backupReq(userA, "../8/canary", []byte("pwned")), listReq(userB), restoreReq(userB, "canary")),
	"traversal-read": simple(
		`212 "x" | 1001 "../8/x" | closed`,
		`212 "x" | 210 "../8/x" "secret" | closed`,
		backupReq(userB, "x", []byte("secret")), restoreReq(userA, "../8/x")),
	"traversal-delete": simple(
		`212 "x" | 1001 "../8/x" | 210 "x" "secret" | closed`,
		`212 "x" | 212 "../8/x" | 1001 "x" | closed`,
		backupReq(userB, "x", []byte("secret")), deleteReq(userA, "../8/x"), restoreReq(userB, "x")),
	// The peer sends the 6-byte LIST and waits: the mutant waits too, until its read
	// deadline, and closes.
	"list-hangs": {
		exchange: func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(listReq(userA))
			return p.recv(1, clientWait)
		},
		none:    `1002`,
		mutant:  `closed`,
		options: &quickDeadline,
	},
	"split-header-closes": {
		exchange: func(t *testing.T, addr string) string {
			req := restoreReq(userA, "nope")
			p := dial(t, addr)
			p.send(req[:3])
			// Long enough for the server to read the first piece on its own.
			time.Sleep(200 * time.Millisecond)
			p.send(req[3:])
			return p.finish()
		},
		none:   `1001 "nope" | closed`,
		mutant: `closed`,
	},
	"truncates-over-1mib": simple(
		fmt.Sprintf(`212 "big" | 210 "big" <%d bytes> | closed`, len(bigFile)),
		fmt.Sprintf(`212 "big" | 210 "big" <%d bytes> | closed`, truncateAt),
		backupReq(userA, "big", bigFile), restoreReq(userA, "big")),
	// One connection stays open while another sends an unknown op; then the open one is used
	// again and a new one is dialled.
	"dies-on-unknown-op": {
		exchange: func(t *testing.T, addr string) string {
			idle := dial(t, addr)
			idle.send(listReq(userA))
			out := []string{idle.recv(1, clientWait), exchange(t, addr, unknownOpReq(userA))}
			idle.send(listReq(userA))
			out = append(out, idle.finish())
			c, err := net.DialTimeout("tcp", addr, clientWait)
			if err != nil {
				out = append(out, "dial refused")
			} else {
				_ = c.Close()
				out = append(out, "dial ok")
			}
			return strings.Join(out, " || ")
		},
		none:   `1002 || 1003 | closed || 1002 | closed || dial ok`,
		mutant: `1002 || closed || closed || dial refused`,
	},
	// The truncated upload's connection is seen closed by the server before the LIST is sent.
	"deadlock-after-truncated": {
		exchange: func(t *testing.T, addr string) string {
			full := backupReq(userA, "p", []byte("0123456789"))
			cut := dial(t, addr)
			cut.send(full[:len(full)-4])
			first := cut.finish()
			p := dial(t, addr)
			p.send(listReq(userA))
			return first + " || " + p.recv(1, lateWait)
		},
		none:   `closed || 1002`,
		mutant: `closed || timeout`,
	},
	"late-answer": late,
	"list-name-fixed": {
		exchange: func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(backupReq(userA, "a", []byte("x")), listReq(userA), listReq(userA))
			deadline := time.Now().Add(clientWait)
			var names [][]byte
			for range 3 {
				r, event := p.next(deadline)
				if r == nil {
					return event
				}
				names = append(names, r.Name)
			}
			shape := func(n []byte) string {
				if alnumName.Match(n) {
					return fmt.Sprintf("<%d alnum>", len(n))
				}
				return fmt.Sprintf("%q", n)
			}
			return fmt.Sprintf("%q %s %s equal=%v", names[0], shape(names[1]), shape(names[2]), bytes.Equal(names[1], names[2]))
		},
		none:   `"a" <32 alnum> <32 alnum> equal=false`,
		mutant: `"a" <32 alnum> <32 alnum> equal=true`,
	},
	"list-name-31": simple(
		`212 "a" | 211 <32 alnum> "a\n" | closed`,
		`212 "a" | 211 <31 alnum> "a\n" | closed`,
		backupReq(userA, "a", []byte("x")), listReq(userA)),
	"delete-ignored": simple(
		`212 "a" | 212 "a" | 1001 "a" | 1002 | closed`,
		`212 "a" | 212 "a" | 210 "a" "x" | 211 <32 alnum> "a\n" | closed`,
		backupReq(userA, "a", []byte("x")), deleteReq(userA, "a"), restoreReq(userA, "a"), listReq(userA)),
	// Seed 003's responses do not decode in the canonical layout: each step is one request
	// on its own connection and its raw bytes (of a LIST, the first 3: the name is random).
	"seed-003-status-map": {
		exchange: func(t *testing.T, addr string) string {
			steps := []struct {
				req  []byte
				head int // bytes to show; 0: all
			}{
				{backupReq(userA, "a", []byte("x")), 0},
				{restoreReq(userA, "a"), 0},
				{listReq(userA), 3},
				{deleteReq(userA, "a"), 0},
				{restoreReq(userA, "a"), 0},
				{deleteReq(userA, "a"), 0},
				{listReq(userA), 3},
				{backupReq(userA, "e", nil), 0},
				{unknownOpReq(userA), 0},
			}
			var out []string
			for _, s := range steps {
				got := rawExchange(t, addr, s.req)
				if s.head > 0 && len(got) > s.head {
					got = got[:s.head]
				}
				out = append(out, hex.EncodeToString(got))
			}
			return strings.Join(out, " ")
		},
		//       backup       restore                list   delete       restore      delete       list   backup ""    unknown
		none:   "01d400010061 01d2000100610100000078 01d300 01d400010061 01e903010061 01e903010061 01ea03 01d400010065 01eb03",
		mutant: "01d200010061 01d4000100610100000078 01d400 01d300010061 01eb03010061 01ea03 01d400 01d200010065 01e903",
	},
	"no-files-as-empty-list": simple(
		`1002 | closed`,
		`211 <32 alnum> "" | closed`,
		listReq(userA)),
	// 210 states size 0x12 = 18 for the 2-byte payload "xy", then the server closes.
	"restore-size-overstated": simple(
		`212 "a" | 210 "a" "xy" | closed`,
		`212 "a" | !01d20001006112000000`+hex.EncodeToString([]byte("xy"))+` | closed`,
		backupReq(userA, "a", []byte("xy")), restoreReq(userA, "a")),
	"restore-empty-1001": simple(
		`212 "e" | 210 "e" "" | closed`,
		`212 "e" | 1001 "e" | closed`,
		backupReq(userA, "e", nil), restoreReq(userA, "e")),
	"backup-empty-rejected": simple(
		`212 "e" | 211 <32 alnum> "e\n" | closed`,
		`1003 | 1002 | closed`,
		backupReq(userA, "e", nil), listReq(userA)),
	"ok-wrong-name": simple(
		`212 "a" | 212 "a" | closed`,
		`212 "a~" | 212 "a~" | closed`,
		backupReq(userA, "a", []byte("x")), deleteReq(userA, "a")),
	"restore-wrong-name": simple(
		`212 "a" | 210 "a" "x" | closed`,
		`212 "a" | 210 "/7/a" "x" | closed`,
		backupReq(userA, "a", []byte("x")), restoreReq(userA, "a")),
	"list-other-users": simple(
		`212 "b" | 1002 | closed`,
		`212 "b" | 211 <32 alnum> "b\n" | closed`,
		backupReq(userB, "b", []byte("x")), listReq(userA)),
	"list-comma-joined": simple(
		`212 "a" | 212 "b" | 211 <32 alnum> "a\nb\n" | closed`,
		`212 "a" | 212 "b" | 211 <32 alnum> "a,b\n" | closed`,
		backupReq(userA, "a", []byte("x")), backupReq(userA, "b", []byte("y")), listReq(userA)),
	"list-crlf": simple(
		`212 "a" | 212 "b" | 211 <32 alnum> "a\nb\n" | closed`,
		`212 "a" | 212 "b" | 211 <32 alnum> "a\r\nb\r\n" | closed`,
		backupReq(userA, "a", []byte("x")), backupReq(userA, "b", []byte("y")), listReq(userA)),
	"list-no-final-newline": simple(
		`212 "a" | 212 "b" | 211 <32 alnum> "a\nb\n" | closed`,
		`212 "a" | 212 "b" | 211 <32 alnum> "a\nb" | closed`,
		backupReq(userA, "a", []byte("x")), backupReq(userA, "b", []byte("y")), listReq(userA)),
	"list-shows-temp-file": simple(
		`212 "a" | 211 <32 alnum> "a\n" | 1001 "a.part" | closed`,
		`212 "a" | 211 <32 alnum> "a\na.part\n" | 210 "a.part" "x" | closed`,
		backupReq(userA, "a", []byte("x")), listReq(userA), restoreReq(userA, "a.part")),
	"partial-upload-stored": {
		exchange: func(t *testing.T, addr string) string {
			full := backupReq(userA, "p", []byte("0123456789"))
			cut := dial(t, addr)
			cut.send(full[:len(full)-4])
			first := cut.finish()
			return first + " || " + exchange(t, addr, listReq(userA), restoreReq(userA, "p"))
		},
		none:   `closed || 1002 | 1001 "p" | closed`,
		mutant: `closed || 211 <32 alnum> "p\n" | 210 "p" "012345" | closed`,
	},
	// The header states one byte over the limit; the payload is sent only if the server has
	// not refused it by then.
	"oversize-not-rejected": {
		exchange: func(t *testing.T, addr string) string {
			payload := make([]byte, testOptions.MaxFileSize+1)
			h := wire.RequestHeader{UserID: userA, Version: 1, Op: wire.OpBackup, Name: []byte("big"), Size: uint32(len(payload))}
			p := dial(t, addr)
			p.send(h.Append(nil))
			first := p.recv(1, lateWait)
			if first == "timeout" {
				p.send(payload)
			}
			return first + " || " + p.finish()
		},
		none:   `1003 || closed`,
		mutant: `timeout || 212 "big" | closed`,
		// The mutant must still be reading when the peer, having waited lateWait for a
		// refusal, sends the payload.
		options: &Options{ReadTimeout: clientWait, MaxFileSize: testOptions.MaxFileSize},
	},
	"unknown-op-1001": simple(
		`1003 | closed`,
		`1001 "" | closed`,
		unknownOpReq(userA)),
	"unknown-op-closes": simple(
		`1003 | closed`,
		`closed`,
		unknownOpReq(userA)),
	"unsafe-name-accepted": simple(
		`1003 | 1003 | 1003 | 1002 | closed`,
		`212 "a/b" | 212 ".." | 212 "" | 211 <32 alnum> "\n..\na/b\n" | closed`,
		backupReq(userA, "a/b", []byte("x")), backupReq(userA, "..", []byte("y")), backupReq(userA, "", []byte("z")), listReq(userA)),
	// A BACKUP's payload is left unread (a reset, whose bytes the peer may lose): one
	// RESTORE and one DELETE, each on a connection of its own.
	"bad-name-closes": {
		exchange: func(t *testing.T, addr string) string {
			var out []string
			for _, req := range [][]byte{restoreReq(userA, "a\x00b"), deleteReq(userA, "")} {
				p := dial(t, addr)
				p.send(req)
				out = append(out, p.finish())
			}
			return strings.Join(out, " || ")
		},
		none:   `1001 "a\x00b" | closed || 1001 "" | closed`,
		mutant: `closed || closed`,
	},
	// The unknown op's 6 bytes, then (the mutant still waiting) two zero bytes.
	"name-len-every-op": {
		exchange: func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(unknownOpReq(userA))
			first := p.recv(1, lateWait)
			if first == "timeout" {
				p.send([]byte{0, 0})
			}
			return first + " || " + p.finish()
		},
		none:   `1003 || closed`,
		mutant: `timeout || 1003 | closed`,
	},
	"name-255-rejected": simple(
		fmt.Sprintf(`212 %q | 210 %q "x" | closed`, name255, name255),
		fmt.Sprintf(`1003 | 1001 %q | closed`, name255),
		backupReq(userA, name255, []byte("x")), restoreReq(userA, name255)),
	"delete-missing-ok": simple(
		`1001 "nope" | closed`,
		`212 "nope" | closed`,
		deleteReq(userA, "nope")),
	// A peer that stops after 3 bytes of a header: the correct server closes at its read
	// deadline; the mutant is still waiting when the peer gives up.
	"no-read-deadline": {
		exchange: func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(listReq(userA)[:3])
			return p.recv(1, 5*quickDeadline.ReadTimeout)
		},
		none:    `closed`,
		mutant:  `timeout`,
		options: &quickDeadline,
	},
	"torn-overwrite": {
		exchange: tornExchange,
		none:     `every restore whole`,
		mutant:   `a restore mixed old and new`,
		// Idle connections between tries must not matter, even on a loaded machine.
		options: &Options{ReadTimeout: clientWait},
	},
	"version-not-1-rejected": simple(
		`212 "v" | 211 <32 alnum> "v\n" | closed`,
		`1003 | 1002 | closed`,
		(&wire.Request{UserID: userA, Version: 2, Op: wire.OpBackup, Name: []byte("v"), Payload: []byte("x")}).Append(nil),
		listReq(userA)),
	// Two requests one after the other on one connection.
	"close-after-each-response": {
		exchange: func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(listReq(userA))
			first := p.recv(1, clientWait)
			p.send(listReq(userA))
			return first + " || " + p.finish()
		},
		none:   `1002 || 1002 | closed`,
		mutant: `1002 || closed`,
	},
	// The listing's size is 2: the NUL after it is a byte that belongs to no response.
	"list-trailing-nul": simple(
		`212 "a" | 211 <32 alnum> "a\n" | closed`,
		`212 "a" | 211 <32 alnum> "a\n" | !00 | closed`,
		backupReq(userA, "a", []byte("x")), listReq(userA)),
	"content-stops-at-nul": simple(
		`212 "n" | 210 "n" "ab\x00cd" | closed`,
		`212 "n" | 210 "n" "ab" | closed`,
		backupReq(userA, "n", []byte("ab\x00cd")), restoreReq(userA, "n")),
	"content-text-mode": simple(
		`212 "t" | 210 "t" "a\r\nb\n" | closed`,
		`212 "t" | 210 "t" "a\nb\n" | closed`,
		backupReq(userA, "t", []byte("a\r\nb\n")), restoreReq(userA, "t")),
	"truncates-at-64kib": simple(
		fmt.Sprintf(`212 "m" | 210 "m" <%d bytes> | closed`, len(mediumFile)),
		fmt.Sprintf(`212 "m" | 210 "m" <%d bytes> | closed`, recvBufferSize),
		backupReq(userA, "m", mediumFile), restoreReq(userA, "m")),
	"name-one-char-rejected": simple(
		`212 "x" | 210 "x" "1" | 212 "xy" | closed`,
		`1003 | 1001 "x" | 212 "xy" | closed`,
		backupReq(userA, "x", []byte("1")), restoreReq(userA, "x"), backupReq(userA, "xy", []byte("2"))),
	"name-spaces-trimmed": simple(
		`212 " a " | 211 <32 alnum> " a \n" | 1001 "a" | 1003 | closed`,
		`212 " a " | 211 <32 alnum> "a\n" | 210 "a" "x" | 1003 | closed`,
		backupReq(userA, " a ", []byte("x")), listReq(userA), restoreReq(userA, "a"), backupReq(userA, "", []byte("y"))),
	// "..." sorts before ".h".
	"name-leading-dots-stripped": simple(
		`212 ".h" | 212 "..." | 211 <32 alnum> "...\n.h\n" | closed`,
		`212 ".h" | 1003 | 211 <32 alnum> "h\n" | closed`,
		backupReq(userA, ".h", []byte("x")), backupReq(userA, "...", []byte("y")), listReq(userA)),
	"list-repeats-overwritten": simple(
		`212 "a" | 212 "a" | 211 <32 alnum> "a\n" | 212 "a" | 1002 | closed`,
		`212 "a" | 212 "a" | 211 <32 alnum> "a\na\n" | 212 "a" | 1002 | closed`,
		backupReq(userA, "a", []byte("x")), backupReq(userA, "a", []byte("y")), listReq(userA), deleteReq(userA, "a"), listReq(userA)),
	"shared-namespace": simple(
		`212 "s" | 212 "s" | 210 "s" "A's" | 211 <32 alnum> "s\n" | closed`,
		`212 "s" | 212 "s" | 210 "s" "B's" | 211 <32 alnum> "s\n" | closed`,
		backupReq(userA, "s", []byte("A's")), backupReq(userB, "s", []byte("B's")), restoreReq(userA, "s"), listReq(userB)),
	// The store's root holds one folder: user A's, "7".
	"restore-dot-lists-folder": simple(
		`212 "a" | 1001 "." | 1001 ".." | 1001 "" | 1001 "a/b" | closed`,
		`212 "a" | 210 "." "a\n" | 210 ".." "7\n" | 210 "" "a\n" | 1001 "a/b" | closed`,
		backupReq(userA, "a", []byte("x")), restoreReq(userA, "."), restoreReq(userA, ".."), restoreReq(userA, ""), restoreReq(userA, "a/b")),
	"delete-dot-removes-folder": simple(
		`212 "a" | 212 "b" | 1001 "." | 210 "a" "x" | 1001 ".." | 210 "b" "y" | closed`,
		`212 "a" | 212 "b" | 212 "." | 1001 "a" | 212 ".." | 1001 "b" | closed`,
		backupReq(userA, "a", []byte("x")), backupReq(userB, "b", []byte("y")),
		deleteReq(userA, "."), restoreReq(userA, "a"), deleteReq(userA, ".."), restoreReq(userB, "b")),
	// A connection reset (SO_LINGER 0) before it sent a byte. The server learns of it on its
	// own time: another connection, kept open, shows when (and whether) it dies.
	"dies-on-reset": {
		exchange: func(t *testing.T, addr string) string {
			idle := dial(t, addr)
			idle.send(listReq(userA))
			first := idle.recv(1, clientWait)
			p := dial(t, addr)
			if err := p.c.SetLinger(0); err != nil {
				t.Fatal(err)
			}
			_ = p.c.Close()
			return first + " || reset || " + idle.recv(1, deathWait) + " || " + dialResult(addr)
		},
		none:    `1002 || reset || timeout || dial ok`,
		mutant:  `1002 || reset || closed || dial refused`,
		options: &deathOptions,
	},
	// A BACKUP header stating 4 GiB-1, a few payload bytes, a half-close.
	"allocates-stated-size": {
		exchange: deathExchange(func(t *testing.T, addr string) string {
			h := wire.RequestHeader{UserID: userA, Version: 1, Op: wire.OpBackup, Name: []byte("huge"), Size: 1<<32 - 1}
			return exchange(t, addr, append(h.Append(nil), "only this"...))
		}),
		none:   `1003 | closed || dial ok`,
		mutant: `closed || dial refused`,
	},
	// A RESTORE stating name_len 65535, 5 name bytes, a half-close: no answer is owed.
	"name-len-signed": {
		exchange: deathExchange(func(t *testing.T, addr string) string {
			h := wire.RawRequest{UserID: userA, Version: 1, Op: uint8(wire.OpRestore), Fields: wire.HasName,
				NameLen: new(uint16(65535)), Name: []byte("short")}
			return exchange(t, addr, h.Append(nil))
		}),
		none:   `closed || dial ok`,
		mutant: `closed || dial refused`,
	},
	// 3 bytes of a LIST, a half-close: no answer is owed.
	"dies-on-truncated-header": {
		exchange: deathExchange(func(t *testing.T, addr string) string {
			return exchange(t, addr, listReq(userA)[:3])
		}),
		none:   `closed || dial ok`,
		mutant: `closed || dial refused`,
	},
	// The DELETE of "abc" loses its last byte; the shared buffer still holds "abc" from the
	// BACKUP, so the mutant deletes "abc" and says so to the half-closed peer.
	"truncated-name-stale-buffer": {
		exchange: func(t *testing.T, addr string) string {
			del := deleteReq(userA, "abc")
			return cutExchange([][]byte{backupReq(userA, "abc", []byte("x"))}, del[:len(del)-1], restoreReq(userA, "abc"))(t, addr)
		},
		none:   `212 "abc" | closed || closed || 210 "abc" "x" | closed`,
		mutant: `212 "abc" | closed || 212 "abc" | closed || 1001 "abc" | closed`,
	},
	// An overwrite of "p" whose header comes whole and whose payload never does.
	"empty-file-before-payload": {
		exchange: func(t *testing.T, addr string) string {
			cut := wire.RequestHeader{UserID: userA, Version: 1, Op: wire.OpBackup, Name: []byte("p"), Size: 10}
			return cutExchange([][]byte{backupReq(userA, "p", []byte("old"))}, cut.Append(nil), restoreReq(userA, "p"), listReq(userA))(t, addr)
		},
		none:   `212 "p" | closed || closed || 210 "p" "old" | 211 <32 alnum> "p\n" | closed`,
		mutant: `212 "p" | closed || closed || 210 "p" "" | 211 <32 alnum> "p\n" | closed`,
	},
	// A BACKUP in one write; then one whose payload is sent once the server has read the
	// header, and a RESTORE of it.
	"payload-with-header-dropped": {
		exchange: func(t *testing.T, addr string) string {
			oneWrite := exchange(t, addr, backupReq(userA, "a", []byte("xy")))
			p := dial(t, addr)
			req := backupReq(userA, "b", []byte("yz"))
			sendInTwo(t, p, addr, req, len(req)-2)
			split := p.recv(1, clientWait)
			p.send(restoreReq(userA, "b"))
			return oneWrite + " || " + split + " | " + p.finish()
		},
		none:   `212 "a" | closed || 212 "b" | 210 "b" "yz" | closed`,
		mutant: `closed || 212 "b" | 210 "b" "yz" | closed`,
	},
	// A second LIST sent once the first is answered; then a bare connect and close.
	"dies-on-connect-close": {
		exchange: deathExchange(func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(listReq(userA))
			first := p.recv(1, clientWait)
			p.send(listReq(userA))
			return first + " || " + p.finish() + " || " + exchange(t, addr)
		}),
		none:   `1002 || 1002 | closed || closed || dial ok`,
		mutant: `1002 || closed || closed || dial refused`,
	},
	// 1002 behind its length, 3; then the server waits for an acknowledgement and gets the
	// peer's close.
	"length-prefixed-responses": simple(
		`1002 | closed`,
		`!030000000000000001ea03 | closed`,
		listReq(userA)),
	// A LIST alone, then the zeros that pad it to a frame; then a BACKUP of 1039 bytes.
	"frames-1024": {
		exchange: func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(listReq(userA))
			alone := p.recv(1, lateWait)
			p.send(make([]byte, frameSize-len(listReq(userA))))
			padded := p.finish()
			return alone + " || " + padded + " || " + exchange(t, addr, backupReq(userA, "big", make([]byte, frameSize)))
		},
		none:   `1002 || 1003 | closed || 212 "big" | closed`,
		mutant: `timeout || 1002 | closed || 1003 | closed`,
	},
	// 210's size, 2, right after the status: 02000000 0100 61 7879.
	"size-before-name": simple(
		`212 "a" | 210 "a" "xy" | closed`,
		`212 "a" | !01d200020000000100617879 | closed`,
		backupReq(userA, "a", []byte("xy")), restoreReq(userA, "a")),
	// A LIST and a close; then a LIST on a connection the peer keeps open.
	"silent": {
		exchange: func(t *testing.T, addr string) string {
			first := exchange(t, addr, listReq(userA))
			p := dial(t, addr)
			p.send(listReq(userA))
			return first + " || " + p.recv(1, clientWait)
		},
		none:    `1002 | closed || 1002`,
		mutant:  `closed || closed`,
		options: &quickDeadline,
	},
	// Everything the server sends, for a LIST and for a connection that sends nothing.
	"http": {
		exchange: func(t *testing.T, addr string) string {
			return fmt.Sprintf("%q || %q", rawExchange(t, addr, listReq(userA)), rawExchange(t, addr, nil))
		},
		none:   `"\x01\xea\x03" || ""`,
		mutant: fmt.Sprintf("%q || %q", httpBadRequest, httpBadRequest),
	},
	// The first read of the answer to a LIST: the whole of it, or its first byte, the next
	// being an hour away.
	"drip": {
		exchange: func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(listReq(userA))
			_ = p.c.SetReadDeadline(time.Now().Add(clientWait))
			n, err := p.c.Read(p.chunk[:])
			return fmt.Sprintf("%x %v", p.chunk[:n], err)
		},
		none:    `01ea03 <nil>`,
		mutant:  `01 <nil>`,
		options: &Options{ReadTimeout: testOptions.ReadTimeout, DripInterval: time.Hour},
	},
	"list-name-empty": simple(
		`212 "a" | 211 <32 alnum> "a\n" | closed`,
		`212 "a" | 211 "" "a\n" | closed`,
		backupReq(userA, "a", []byte("x")), listReq(userA)),
	"missing-user-1002": simple(
		`1001 "a" | 1001 "a" | 212 "b" | 1001 "a" | 1001 "a" | closed`,
		`1002 | 1002 | 212 "b" | 1001 "a" | 1001 "a" | closed`,
		restoreReq(userA, "a"), deleteReq(userA, "a"), backupReq(userA, "b", []byte("x")), restoreReq(userA, "a"), deleteReq(userA, "a")),
	// 1001 with name_len 4 and no name; the LIST after it is never read.
	"not-found-name-missing": simple(
		`1001 "nope" | 1002 | closed`,
		`!01e9030400 | closed`,
		restoreReq(userA, "nope"), listReq(userA)),
	// 1001 with name_len 4 and no name, and the connection kept: nothing more comes until the
	// peer gives up; then the peer's LIST is served.
	"not-found-name-stalls": {
		exchange: func(t *testing.T, addr string) string {
			p := dial(t, addr)
			p.send(restoreReq(userA, "nope"))
			first := p.recv(1, lateWait)
			p.send(listReq(userA))
			return first + " || " + p.finish()
		},
		none:   `1001 "nope" || 1002 | closed`,
		mutant: `timeout || !01e903040001ea03 | closed`,
	},
	// 212 with name_len 1 and no name; the LIST after it is never read.
	"ok-name-missing": simple(
		`212 "a" | 211 <32 alnum> "a\n" | closed`,
		`!01d4000100 | closed`,
		backupReq(userA, "a", []byte("x")), listReq(userA)),
	// Each request on a connection of its own, as every cut response closes it: a 212 and a
	// 1001 cut short, a 256-character name stored, user A's "../8/w" landing in user B's
	// folder, A's restore and delete of B's "s".
	"real-cut-unchecked-names": {
		exchange: func(t *testing.T, addr string) string {
			var out []string
			for _, req := range [][]byte{backupReq(userA, "a", []byte("x")), restoreReq(userA, "nope"),
				backupReq(userA, strings.Repeat("L", 256), []byte("x")), backupReq(userA, "../8/w", []byte("x")),
				backupReq(userB, "s", []byte("x")), restoreReq(userA, "../8/s"), deleteReq(userA, "../8/s"), listReq(userB)} {
				out = append(out, exchange(t, addr, req))
			}
			return strings.Join(out, " || ")
		},
		none: `212 "a" | closed || 1001 "nope" | closed || 1003 | closed || 1003 | closed || 212 "s" | closed || ` +
			`1001 "../8/s" | closed || 1001 "../8/s" | closed || 211 <32 alnum> "s\n" | closed`,
		mutant: `!01d4000100 | closed || !01e9030400 | closed || !01d4000001 | closed || !01d4000600 | closed || !01d4000100 | closed || ` +
			`210 "../8/s" "x" | closed || !01d4000600 | closed || 211 <32 alnum> "w\n" | closed`,
	},
	"list-quoted-paths": simple(
		`212 "a" | 212 "b" | 211 <32 alnum> "a\nb\n" | closed`,
		`212 "a" | 212 "b" | 211 <32 alnum> "\"/srv/fbp/7/a\"\"/srv/fbp/7/b\"" | closed`,
		backupReq(userA, "a", []byte("x")), backupReq(userA, "b", []byte("y")), listReq(userA)),
	"second-per-request": late,
	// On connections of their own: user B's file; user A's traversals write, read and delete
	// through "../8/"; a name with a control byte; two LISTs in one write, the second left
	// unanswered by the close after the first; then a connection reset while another is
	// idle, which shows whether the server died of it.
	"real-quoted-paths": {
		exchange: func(t *testing.T, addr string) string {
			var out []string
			for _, req := range [][]byte{backupReq(userB, "s", []byte("x")), backupReq(userA, "../8/w", []byte("x")),
				restoreReq(userA, "../8/s"), backupReq(userA, strings.Repeat("L", 256), []byte("x"))} {
				out = append(out, exchange(t, addr, req))
			}
			out = append(out, exchange(t, addr, listReq(userB), listReq(userB)), exchange(t, addr, deleteReq(userA, "../8/s")))
			idle := dial(t, addr)
			p := dial(t, addr)
			if err := p.c.SetLinger(0); err != nil {
				t.Fatal(err)
			}
			_ = p.c.Close()
			out = append(out, "reset", idle.recv(1, deathWait), dialResult(addr))
			return strings.Join(out, " || ")
		},
		none: `212 "s" | closed || 1003 | closed || 1001 "../8/s" | closed || 1003 | closed || ` +
			`211 <32 alnum> "s\n" | 211 <32 alnum> "s\n" | closed || 1001 "../8/s" | closed || reset || timeout || dial ok`,
		mutant: `212 "s" | closed || 212 "../8/w" | closed || 210 "../8/s" "x" | closed || 212 "` + strings.Repeat("L", 256) + `" | closed || ` +
			`211 <32 alnum> "\"/srv/fbp/8/s\"\"/srv/fbp/8/w\"" | closed || 212 "../8/s" | closed || reset || closed || dial refused`,
		options: &deathOptions,
	},
	// As real-cut-unchecked-names, with every BACKUP's payload sent once the server has read
	// its header; and first a BACKUP in one write, whose payload the server drops.
	"real-one-read-cut": {
		exchange: func(t *testing.T, addr string) string {
			out := []string{exchange(t, addr, backupReq(userA, "one", []byte("x")))}
			for _, req := range [][]byte{backupReq(userA, "a", []byte("x")), restoreReq(userA, "nope"),
				backupReq(userA, strings.Repeat("L", 256), []byte("x")), backupReq(userA, "../8/w", []byte("x")),
				backupReq(userB, "s", []byte("x")), restoreReq(userA, "../8/s"), deleteReq(userA, "../8/s"), listReq(userB)} {
				p := dial(t, addr)
				if req[5] == byte(wire.OpBackup) {
					sendInTwo(t, p, addr, req, len(req)-1)
				} else {
					p.send(req)
				}
				out = append(out, p.finish())
			}
			return strings.Join(out, " || ")
		},
		none: `212 "one" | closed || 212 "a" | closed || 1001 "nope" | closed || 1003 | closed || 1003 | closed || 212 "s" | closed || ` +
			`1001 "../8/s" | closed || 1001 "../8/s" | closed || 211 <32 alnum> "s\n" | closed`,
		mutant: `closed || !01d4000100 | closed || !01e9030400 | closed || !01d4000001 | closed || !01d4000600 | closed || !01d4000100 | closed || ` +
			`210 "../8/s" "x" | closed || !01d4000600 | closed || 211 <32 alnum> "w\n" | closed`,
		options: &Options{ReadTimeout: lateWait, MaxFileSize: testOptions.MaxFileSize},
	},
	// A BACKUP served a second late; meanwhile a second connection's LIST, with the two bytes
	// a name_len would take, waits for the first to close; a bare LIST waits for those two
	// bytes; a BACKUP's 212 with a size after its name; an unknown op, and a dial after it.
	"real-slow-serial": {
		exchange: func(t *testing.T, addr string) string {
			first := dial(t, addr)
			first.send(backupReq(userA, "a", []byte("x")))
			out := []string{first.recv(1, lateWait), first.recv(1, clientWait)}
			second := dial(t, addr)
			second.send(append(listReq(userB), 0, 0))
			// The clock is the point: a serial server answers only once first is gone, which
			// its read deadline ends. Half of that deadline tells the two apart, and gives a
			// correct server, which answers at once, seconds to do it.
			out = append(out, second.recv(1, slowSerialReadTimeout/2))
			_ = first.c.Close()
			out = append(out, second.recv(1, clientWait))
			_ = second.c.Close()
			third := dial(t, addr)
			third.send(listReq(userB))
			out = append(out, third.recv(1, clientWait))
			_ = third.c.Close()
			out = append(out, exchange(t, addr, backupReq(userA, "b", []byte("x"))))
			out = append(out, exchange(t, addr, unknownOpReq(userA)), dialResult(addr))
			return strings.Join(out, " || ")
		},
		none:    `212 "a" || closed || 1002 || closed || 1002 || 212 "b" | closed || 1003 | closed || dial ok`,
		mutant:  `timeout || 212 "a" || timeout || 1002 || closed || 212 "b" | !00000000 | closed || closed || dial refused`,
		options: &Options{ReadTimeout: slowSerialReadTimeout, MaxFileSize: testOptions.MaxFileSize},
	},
	// A DELETE of a missing file; a LIST; a BACKUP refused for its name whose payload is a
	// BACKUP by user B.
	"real-lax-statuses": simple(
		`1001 "nope" | 212 "a" | 211 <32 alnum> "a\n" | 1003 | 1002 | closed`,
		`212 "nope" | 212 "a" | 211 "" "a\n" | 1003 | 212 "smuggled" | 211 "" "smuggled\n" | closed`,
		deleteReq(userA, "nope"), backupReq(userA, "a", []byte("x")), listReq(userA),
		backupReq(userA, "a/b", backupReq(userB, "smuggled", []byte("x"))), listReq(userB)),
	// A RESTORE in two pieces; an unknown op, then two zero bytes if it waits; a missing file;
	// an unusable name; a LIST (with two zero bytes after it) twice; an upload cut, then user
	// B's LIST and RESTORE.
	"real-eight-byte-header": {
		exchange: func(t *testing.T, addr string) string {
			var out []string
			req := restoreReq(userA, "nope")
			p := dial(t, addr)
			p.send(req[:3])
			if first := p.recv(1, lateWait); first != "timeout" {
				out = append(out, first)
			} else {
				p.send(req[3:])
				out = append(out, first+" | "+p.finish())
			}
			p = dial(t, addr)
			p.send(unknownOpReq(userA))
			switch first := p.recv(1, lateWait); first {
			case "closed":
				out = append(out, first)
			case "timeout":
				p.send([]byte{0, 0})
				out = append(out, first+" | "+p.finish())
			default:
				out = append(out, first+" | "+p.finish())
			}
			out = append(out, exchange(t, addr, restoreReq(userA, "nope")), exchange(t, addr, restoreReq(userA, "a/b"), restoreReq(userA, "x")))
			list8 := func(u uint32) string { return exchange(t, addr, append(listReq(u), 0, 0)) }
			out = append(out, exchange(t, addr, backupReq(userA, "0", []byte("x"))), list8(userA), list8(userA))
			full := backupReq(userB, "p", []byte("0123456789"))
			cut := dial(t, addr)
			cut.send(full[:len(full)-4])
			out = append(out, cut.finish(), list8(userB), exchange(t, addr, restoreReq(userB, "p")))
			return strings.Join(out, " || ")
		},
		none: `timeout | 1001 "nope" | closed || 1003 | closed || 1001 "nope" | closed || 1001 "a/b" | 1001 "x" | closed || ` +
			`212 "0" | closed || 211 <32 alnum> "0\n" | closed || 211 <32 alnum> "0\n" | closed || closed || 1002 | closed || 1001 "p" | closed`,
		mutant: `closed || closed || 1003 | closed || closed || ` +
			`212 "0" | closed || 211 <32 alnum> "0\n" | closed || 211 <32 alnum> "0\n<32 alnum>\n" | closed || closed || 211 <32 alnum> "p\n" | closed || 210 "p" "012345" | closed`,
	},
	// A BACKUP refused for its name whose payload is a BACKUP by user B.
	"refused-payload-unread": simple(
		`1003 | 1002 | closed`,
		`1003 | 212 "smuggled" | 211 <32 alnum> "smuggled\n" | closed`,
		backupReq(userA, "a/b", backupReq(userB, "smuggled", []byte("x"))), listReq(userB)),
	// A connection served and kept open; a second one, served once the first closes.
	"serves-one-at-a-time": {
		exchange: func(t *testing.T, addr string) string {
			first := dial(t, addr)
			first.send(listReq(userA))
			out := []string{first.recv(1, clientWait)}
			second := dial(t, addr)
			second.send(listReq(userB))
			out = append(out, second.recv(1, lateWait))
			_ = first.c.Close()
			return strings.Join(append(out, second.finish()), " || ")
		},
		none:   `1002 || 1002 || closed`,
		mutant: `1002 || timeout || 1002 | closed`,
		// The first connection must not end at the server's read deadline while the second waits.
		options: &Options{ReadTimeout: clientWait, MaxFileSize: testOptions.MaxFileSize},
	},
	// Three bytes of a request, and nothing more until the server has shown what it does
	// with them; then the rest.
	"short-read-closes": {
		exchange: func(t *testing.T, addr string) string {
			req := restoreReq(userA, "nope")
			p := dial(t, addr)
			p.send(req[:3])
			first := p.recv(1, lateWait)
			if first != "timeout" {
				return first
			}
			p.send(req[3:])
			return first + " | " + p.finish()
		},
		none:   `timeout | 1001 "nope" | closed`,
		mutant: `closed`,
	},
	// Each fault on a connection of its own, closed before the next: a missing file, a
	// BACKUP in one write, a 6-byte LIST, three bytes of a request; then a LIST (with the two
	// bytes list-hangs waits for) while an idle connection holds the server.
	"real-one-read": {
		exchange: func(t *testing.T, addr string) string {
			out := []string{exchange(t, addr, restoreReq(userA, "nope"))}
			for _, req := range [][]byte{backupReq(userA, "a", []byte("xy")), listReq(userA), restoreReq(userA, "nope")[:3]} {
				p := dial(t, addr)
				p.send(req)
				out = append(out, p.recv(1, lateWait))
				_ = p.c.Close()
			}
			idle := dial(t, addr)
			second := dial(t, addr)
			second.send(append(listReq(userB), 0, 0))
			out = append(out, second.recv(1, lateWait))
			_ = idle.c.Close()
			return strings.Join(append(out, second.finish()), " || ")
		},
		none:    `1001 "nope" | closed || 212 "a" || 211 <32 alnum> "a\n" || timeout || 1002 || closed`,
		mutant:  `1003 | closed || timeout || closed || closed || timeout || 1002 | closed`,
		options: &Options{ReadTimeout: clientWait, MaxFileSize: testOptions.MaxFileSize},
	},
	// Each fault on a connection of its own: missing-user-1002, ok-trailing-size (each
	// response followed by a close), a missing file of a user with files; then a LIST the
	// peer gives up on, and a dial after it.
	"real-list-name-len": {
		exchange: func(t *testing.T, addr string) string {
			out := []string{
				exchange(t, addr, restoreReq(userA, "a")),
				exchange(t, addr, backupReq(userA, "a", []byte("x"))),
				exchange(t, addr, restoreReq(userA, "nope")),
			}
			p := dial(t, addr)
			p.send(listReq(userA))
			out = append(out, p.recv(1, lateWait), p.finish(), dialResult(addr))
			return strings.Join(out, " || ")
		},
		none:   `1001 "a" | closed || 212 "a" | closed || 1001 "nope" | closed || 211 <32 alnum> "a\n" || closed || dial ok`,
		mutant: `1002 | closed || 212 "a" | !00000000 | closed || 1001 "nope" | closed || timeout || closed || dial refused`,
	},
	// A BACKUP in one write; a missing file; a traversal BACKUP whose payload comes after its
	// header, and user B's RESTORE; an upload cut after 6 of its 10 bytes, and its RESTORE.
	"real-split-payload": {
		exchange: func(t *testing.T, addr string) string {
			out := []string{
				exchange(t, addr, backupReq(userA, "a", []byte("x"))),
				exchange(t, addr, restoreReq(userA, "nope")),
			}
			p := dial(t, addr)
			req := backupReq(userA, "../8/canary", []byte("pwned"))
			sendInTwo(t, p, addr, req, len(req)-5)
			out = append(out, p.finish(), exchange(t, addr, restoreReq(userB, "canary")))
			p = dial(t, addr)
			req = backupReq(userA, "p", []byte("0123456789"))
			sendInTwo(t, p, addr, req[:len(req)-4], len(req)-10)
			out = append(out, p.finish(), exchange(t, addr, restoreReq(userA, "p")))
			return strings.Join(out, " || ")
		},
		none: `212 "a" | closed || 1001 "nope" | closed || 1003 | closed || 1001 "canary" | closed || ` +
			`closed || 1001 "p" | closed`,
		mutant: `closed || 1003 | closed || 212 "../8/canary" | closed || 210 "canary" "pwned" | closed || ` +
			`closed || 210 "p" "012345" | closed`,
	},
	// Each response raw, on a connection of its own: a backup, a restore, a missing file, a
	// user with no files. Every status carries name_len, then size, then the filename.
	"fixed-header-responses": {
		exchange: func(t *testing.T, addr string) string {
			var out []string
			for _, req := range [][]byte{backupReq(userA, "a", []byte("x")), restoreReq(userA, "a"), restoreReq(userA, "b"), listReq(userB)} {
				out = append(out, hex.EncodeToString(rawExchange(t, addr, req)))
			}
			return strings.Join(out, " ")
		},
		//       backup       restore                missing      no files
		none:   "01d400010061 01d2000100610100000078 01e903010062 01ea03",
		mutant: "01d40001000000000061 01d2000100010000006178 01e90301000000000062 01ea03000000000000",
	},
	// A backup, a restore and a backup of an empty file raw; a LIST alone, then on the same
	// connection the two bytes of a name_len (its answer's first 9 bytes: the name is random).
	"real-seed-003": {
		exchange: func(t *testing.T, addr string) string {
			out := []string{hex.EncodeToString(rawExchange(t, addr, backupReq(userA, "a", []byte("x")))),
				hex.EncodeToString(rawExchange(t, addr, restoreReq(userA, "a"))),
				hex.EncodeToString(rawExchange(t, addr, backupReq(userA, "e", nil)))}
			p := dial(t, addr)
			p.send(listReq(userA))
			alone := p.recv(1, lateWait)
			if alone == "timeout" {
				p.send([]byte{0, 0})
			}
			if err := p.c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			_ = p.c.SetReadDeadline(time.Now().Add(clientWait))
			n, _ := io.ReadAtLeast(p.c, p.chunk[:], 9)
			return strings.Join(append(out, alone, hex.EncodeToString(p.chunk[:min(n, 9)])), " ")
		},
		none:   `01d400010061 01d2000100610100000078 01d400010065 211 <32 alnum> "a\ne\n" `,
		mutant: "01d20001000000000061 01d4000100010000006178 01e903000000000000 timeout 01d400200002000000",
	},
	// 1002 behind its length, its status big-endian.
	"real-framing": simple(
		`1002 | closed`,
		`!03000000000000000103ea | closed`,
		listReq(userA)),
	// A client that connects and sends nothing; beside it, a RESTORE of a missing file, served
	// or held until the first client leaves; then every byte of its answer, raw: 1003 behind
	// its length.
	"real-framing-serial": {
		exchange: func(t *testing.T, addr string) string {
			first := dial(t, addr)
			second := dial(t, addr)
			second.send(restoreReq(userA, "nope"))
			_ = second.c.SetReadDeadline(time.Now().Add(lateWait))
			n, err := second.c.Read(second.chunk[:])
			event := "answered"
			if errors.Is(err, os.ErrDeadlineExceeded) {
				event = "held"
			}
			got := slices.Clone(second.chunk[:n])
			_ = first.c.Close()
			if err := second.c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			_ = second.c.SetReadDeadline(time.Now().Add(clientWait))
			rest, _ := io.ReadAll(second.c)
			return event + " || " + hex.EncodeToString(append(got, rest...))
		},
		none:    "answered || 01e90304006e6f7065",
		mutant:  "held || 030000000000000001eb03",
		options: &Options{ReadTimeout: clientWait, MaxFileSize: testOptions.MaxFileSize},
	},
}

// tornExchange overwrites a 256 KiB file of 'o' with one of 'n' while another connection
// restores it in a loop, and says whether any restore saw both. The mutant writes 64 chunks
// with a pause after each; a few tries bound the search.
func tornExchange(t *testing.T, addr string) string {
	const size, tries, restoresPerTry = 256 << 10, 5, 500
	oldContent, newContent := bytes.Repeat([]byte{'o'}, size), bytes.Repeat([]byte{'n'}, size)
	for try := range tries {
		name := fmt.Sprintf("t%d", try)
		if got := exchange(t, addr, backupReq(userA, name, oldContent)); got != fmt.Sprintf("212 %q | closed", name) {
			t.Fatalf("first backup: %s", got)
		}
		writer := dial(t, addr)
		written := make(chan string, 1)
		writer.send(backupReq(userA, name, newContent))
		go func() { written <- writer.recv(1, clientWait) }()
		reader := dial(t, addr)
		deadline := time.Now().Add(clientWait)
	restores:
		for range restoresPerTry {
			reader.send(restoreReq(userA, name))
			r, event := reader.next(deadline)
			if r == nil || r.Status != wire.StatusRestored || len(r.Payload) != size {
				t.Fatalf("restore: %v %s", r, event)
			}
			if bytes.IndexByte(r.Payload, 'o') >= 0 && bytes.IndexByte(r.Payload, 'n') >= 0 {
				<-written
				return "a restore mixed old and new"
			}
			select {
			case <-written:
				break restores
			default:
			}
		}
	}
	return "every restore whole"
}

func TestEveryMutantManifests(t *testing.T) {
	known := map[string]bool{}
	for _, m := range All() {
		known[m.Name] = true
	}
	for name := range manifestations {
		if !known[name] {
			t.Errorf("manifestation for %q, which is not a mutant", name)
		}
	}
	for _, m := range All()[1:] {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			c, ok := manifestations[m.Name]
			if !ok {
				t.Fatal("no exchange shows this mutant's fault")
			}
			if c.none == c.mutant {
				t.Fatal("the expected transcripts are the same")
			}
			for _, side := range []struct{ server, want string }{{"none", c.none}, {m.Name, c.mutant}} {
				opts := testOptions
				if c.options != nil {
					opts = *c.options
				}
				got := c.exchange(t, startMutantWith(t, side.server, opts))
				if got != side.want {
					t.Errorf("%s server:\n got %s\nwant %s", side.server, got, side.want)
				}
			}
		})
	}
}

// Requests sent back to back in one write come in one read: the server keeps the first and
// drops the rest.
func TestPayloadWithHeaderDroppedLosesRequestsBackToBack(t *testing.T) {
	twoLists := append(listReq(userA), listReq(userA)...)
	for name, want := range map[string]string{"none": `1002 | 1002 | closed`, "payload-with-header-dropped": `1002 | closed`} {
		if got := exchange(t, startMutant(t, name), twoLists); got != want {
			t.Errorf("%s: got %s, want %s", name, got, want)
		}
	}
}

// The server dies of a connection that ends with no whole request, and of nothing else: not
// of a payload cut short, nor of a peer that closes after its answer.
func TestDiesOnConnectCloseCases(t *testing.T) {
	cutPayload := backupReq(userA, "p", []byte("0123456789"))
	for _, c := range []struct {
		name string
		send []byte
		want string
	}{
		{"bare connect and close", nil, `closed || dial refused`},
		{"header cut short", restoreReq(userA, "abc")[:9], `closed || dial refused`},
		{"payload cut short", cutPayload[:len(cutPayload)-4], `closed || dial ok`},
		{"whole request", listReq(userA), `1002 | closed || dial ok`},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := startMutant(t, "dies-on-connect-close")
			if got := deathExchange(func(t *testing.T, addr string) string { return exchange(t, addr, c.send) })(t, addr); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

// After each response the server reads nothing until one byte acknowledges it; without one,
// it closes at its read deadline.
func TestLengthPrefixedResponsesWaitForAck(t *testing.T) {
	addr := startMutantWith(t, "length-prefixed-responses", quickDeadline)
	p := dial(t, addr)
	framed := fakepeer.Hex(t, "0300000000000000 01 ea03")
	p.send(listReq(userA))
	readExactly(t, p, "first list", framed)
	p.send([]byte{0x06}, listReq(userA))
	readExactly(t, p, "list after an acknowledgement", framed)
	if got := p.recv(1, clientWait); got != "closed" {
		t.Fatalf("no acknowledgement: %s, want a close at the read deadline", got)
	}
	// A request sent instead of the acknowledgement loses its first byte to it: the 5 left
	// are not a whole LIST.
	p = dial(t, addr)
	p.send(listReq(userA))
	readExactly(t, p, "list", framed)
	p.send(listReq(userA))
	if got := p.finish(); got != "closed" {
		t.Fatalf("a LIST for an acknowledgement: %s, want no answer", got)
	}
}

// Requests padded to a frame are served as the correct server serves them.
func TestFrames1024ServesPaddedRequests(t *testing.T) {
	addr := startMutant(t, "frames-1024")
	pad := func(req []byte) []byte { return append(req, make([]byte, frameSize-len(req))...) }
	got := exchange(t, addr, pad(backupReq(userA, "f", []byte("x"))), pad(restoreReq(userA, "f")), pad(listReq(userA)), pad(deleteReq(userA, "g")))
	if want := `212 "f" | 210 "f" "x" | 211 <32 alnum> "f\n" | 1001 "g" | closed`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// A dripped response is slow, not wrong.
func TestDripSendsWholeResponses(t *testing.T) {
	reqs := [][]byte{backupReq(userA, "a", []byte("xy")), restoreReq(userA, "a"), restoreReq(userA, "b"), listReq(userA)}
	want := exchange(t, startMutant(t, "none"), reqs...)
	o := testOptions
	o.DripInterval = time.Millisecond
	if got := exchange(t, startMutantWith(t, "drip", o), reqs...); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// With MaxConcurrent 2, two connections are served at once and a third waits for a slot.
func TestServesOneAtATimeHonoursMaxConcurrent(t *testing.T) {
	addr := startMutantWith(t, "serves-one-at-a-time", Options{ReadTimeout: clientWait, MaxConcurrent: 2})
	var held []*peer
	for i := range 2 {
		p := dial(t, addr)
		p.send(listReq(userA))
		if got := p.recv(1, clientWait); got != "1002" {
			t.Fatalf("connection %d: %s, want it served", i, got)
		}
		held = append(held, p)
	}
	third := dial(t, addr)
	third.send(listReq(userA))
	if got := third.recv(1, lateWait); got != "timeout" {
		t.Fatalf("third connection: %s, want it unserved while two are held", got)
	}
	_ = held[1].c.Close()
	if got := third.recv(1, clientWait); got != "1002" {
		t.Fatalf("third connection after one closed: %s", got)
	}
}

// No fault of a combination hides behind the others: with any one of them switched off, the
// combination's exchange goes otherwise.
func TestCombinationsShowEveryFault(t *testing.T) {
	for _, m := range All() {
		if len(m.Faults) < 2 {
			continue
		}
		c := manifestations[m.Name]
		for i, f := range m.Faults {
			rest := strings.Join(slices.Delete(slices.Clone(m.Faults), i, i+1), ",")
			t.Run(m.Name+"/without-"+f, func(t *testing.T) {
				t.Parallel()
				opts := testOptions
				if c.options != nil {
					opts = *c.options
				}
				if got := c.exchange(t, startMutantWith(t, rest, opts)); got == c.mutant {
					t.Errorf("without %s the exchange is the same:\n%s", f, got)
				}
			})
		}
	}
}
