package clienttest

import (
	"fmt"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
)

// Scenario is one way the test server treats a run of the client: every scenario is a run of
// its own, in a fresh folder, against a fresh server.
type Scenario struct {
	Name string
	Desc string
	// Files are the two files backup.info lists, in its order.
	Files [2]File

	keep   bool        // serve further requests on a connection, instead of closing after each response
	pacing spec.Pacing // how responses are spread in time; 0 sends each at once
	twist  twist       // what the server does otherwise than a canonical server
	// claim is the size twistClaim's 210 states.
	claim uint32
	// slowReader: the server reads BACKUP payloads slowly through a small receive buffer, so
	// that a client's send returns before it has taken all the bytes.
	slowReader bool
	// paths: backup.info names the files by paths, one relative with a folder, one absolute.
	paths bool
}

// File is a file conform lays out for the client to back up.
type File struct {
	Name    string
	Content content.Content
}

// twist is what a scenario's server does differently from a canonical one.
type twist int

const (
	// The zero twist is none: a scenario that sets no twist is canonical.
	_ twist = iota
	// twistNameDotDot: the first 210 names ../conform-escape-TOKEN.
	twistNameDotDot
	// twistNameAbsolute: the first 210 names an absolute path in the scenario's folder.
	twistNameAbsolute
	// twistShortPayload: the first 210 states 1 MiB more than it sends, then closes.
	twistShortPayload
	// twistClaim: the first 210 states the scenario's claim, sends less (HugeSend for a claim
	// of 4 GiB - 1, claimSend for the others), then closes.
	twistClaim
	// twistAll1003: every request gets 1003.
	twistAll1003
	// twistCloseNoAnswer: every request is read and its connection closed without an answer.
	twistCloseNoAnswer
	// twistStall: the first request is read and never answered; the connection is held.
	twistStall
	// twistHostileListing: every LIST gets 211 with hostile names and a very long line.
	twistHostileListing
	// twistLargeListing: every LIST gets 211 with the user's names and many more, past 4096
	// bytes and 64 names.
	twistLargeListing
)

// of210 reports whether t twists the first 210 of a run, rather than every answer or a LIST.
func (t twist) of210() bool {
	switch t {
	case twistNameDotDot, twistNameAbsolute, twistShortPayload, twistClaim:
		return true
	}
	return false
}

// The names of the scenarios the cases cite.
const (
	scCanonical    = "canonical"
	scKeepAlive    = "keep-alive"
	scOneByte      = "one-byte-writes"
	scSlowDrip     = "slow-drip"
	scNameDotDot   = "restore-name-dotdot"
	scNameAbsolute = "restore-name-absolute"
	scShortPayload = "restore-short-payload"
	scHugeClaim    = "restore-claims-4gib"
	scClaimInt31   = "restore-claims-2gib-1"
	scClaimInt32   = "restore-claims-2gib"
	scLargeList    = "large-listing"
	scSlowReader   = "slow-reader"
	scPaths        = "backup-info-paths"
	scAll1003      = "all-1003"
	scCloseNoAns   = "close-without-answer"
	scStall        = "stall"
	scHostileList  = "hostile-listing"
)

// Files conform lays out. Their names are unlike anything a client's own folder holds.
var (
	// fileEveryByte holds every byte value four times over: NUL, "\r\n", bytes that are not UTF-8.
	fileEveryByte = File{Name: "conform-bytes.bin", Content: content.Bytes(everyByte(4))}
	fileEmpty     = File{Name: "conform-empty.bin", Content: content.Bytes(nil)}
	fileOver1MiB  = File{Name: "conform-1mib.bin", Content: content.Drawn(1<<20+4321, 0xfb9)}
	// fileOver8MiB is more than a client's send buffer, grown to its largest (4 MiB on Linux),
	// and the slow reader's window can take at once.
	fileOver8MiB = File{Name: "conform-8mib.bin", Content: content.Drawn(8<<20+1234, 0x5e4d)}
)

func everyByte(times int) []byte {
	b := make([]byte, 0, 256*times)
	for range times {
		for v := range 256 {
			b = append(b, byte(v))
		}
	}
	return b
}

var small = [2]File{fileEveryByte, fileEmpty}

// scenarios lists every scenario in the order a -listen run serves them.
var scenarios = []*Scenario{
	{Name: scCanonical, Files: [2]File{fileOver1MiB, fileEmpty},
		Desc: "a canonical server that closes the connection after each response; files over 1 MiB and empty"},
	{Name: scKeepAlive, Files: small, keep: true,
		Desc: "a canonical server that keeps connections open after each response"},
	{Name: scOneByte, Files: small, pacing: spec.OneByteWrites,
		Desc: "every response's first 64 bytes in 1-byte writes, a pause after each"},
	{Name: scSlowDrip, Files: small, pacing: spec.SlowDrip,
		Desc: "every response dripped over -drip (1 s), data always moving"},
	{Name: scNameDotDot, Files: small, twist: twistNameDotDot,
		Desc: "the 210 of the first RESTORE names ../conform-escape-TOKEN"},
	{Name: scNameAbsolute, Files: small, twist: twistNameAbsolute,
		Desc: "the 210 of the first RESTORE names an absolute path outside the client's folder"},
	{Name: scShortPayload, Files: small, twist: twistShortPayload,
		Desc: "the 210 of the first RESTORE states 1 MiB more than it sends, then the server closes"},
	{Name: scHugeClaim, Files: small, twist: twistClaim, claim: 1<<32 - 1,
		Desc: "the 210 of the first RESTORE claims 4 GiB - 1 (the largest uint32), sends 64 MiB, then the server closes"},
	{Name: scClaimInt31, Files: small, twist: twistClaim, claim: 1<<31 - 1,
		Desc: "the 210 of the first RESTORE claims 2 GiB - 1 (the largest int32), sends 1 MiB, then the server closes"},
	{Name: scClaimInt32, Files: small, twist: twistClaim, claim: 1 << 31,
		Desc: "the 210 of the first RESTORE claims 2 GiB (negative as an int32), sends 1 MiB, then the server closes"},
	{Name: scAll1003, Files: small, keep: true, twist: twistAll1003,
		Desc: "1003 to every request, on connections kept open"},
	{Name: scCloseNoAns, Files: small, twist: twistCloseNoAnswer,
		Desc: "every request read, then the connection closed without an answer"},
	{Name: scStall, Files: small, twist: twistStall,
		Desc: "the first request read and never answered, its connection held open"},
	{Name: scHostileList, Files: small, twist: twistHostileListing,
		Desc: "every LIST answered with ../ names, terminal escape sequences, names that are not ASCII nor UTF-8 and a 100 000-byte line"},
	{Name: scLargeList, Files: small, twist: twistLargeListing,
		Desc: fmt.Sprintf("every LIST answered with the user's names and %d more: %d bytes, written at once", largeListNames, largeListLen)},
	{Name: scSlowReader, Files: [2]File{fileOver8MiB, fileEveryByte}, slowReader: true,
		Desc: "a server that reads each BACKUP's payload slowly, through a small receive buffer: a send takes part of what it is given"},
	{Name: scPaths, Files: small, paths: true,
		Desc: "backup.info names its files by paths: one in a folder of the client's, one absolute"},
}

// Scenarios lists the scenarios, in the order a -listen run serves them.
func Scenarios() []Scenario {
	out := make([]Scenario, len(scenarios))
	for i, s := range scenarios {
		out[i] = *s
	}
	return out
}
